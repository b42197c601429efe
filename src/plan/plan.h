// A Plan is a DAG of operations. Each engine operation is one change to the engine (one
// call, or the few more that converge when an interrupted run left something in the
// way: plan/apply.h); the gates (await-ready, await-completed) and seeding are the only
// non-Engine steps,
// and they sit in the DAG so "start B after A is healthy and seeded" is an edge like any
// other. Plans are produced by reconcile() (pure) and walked by the Executor (no logic).
#pragma once

#include <string>
#include <vector>

namespace biodev::plan {

enum class OpKind {
  kCreateNetwork,    // subject: profile network name; target: engine name
  kCreateVolume,     // subject: profile volume; target: engine name
  kStopContainer,    // subject: service; target: container id
  kRemoveContainer,  // subject: service; target: container id
  kCreateContainer,  // subject: service; target: container name
  kConnectNetwork,   // subject: service; target: engine network name
  kStartContainer,   // subject: service; target: container id or name
  kAwaitReady,       // subject: service (probe from the host; not an Engine call)
  kAwaitCompleted,   // subject: service (wait for exit 0; one long-poll call)
  kSeed,             // subject: service (seed actions; not an Engine call)
  kRemoveNetwork,    // subject: profile network; target: engine name
  kRemoveVolume,     // subject: profile volume; target: engine name
  kRemoveDataDir,    // subject: service; target: host path under .data/ (not an Engine call)
};
const char* to_string(OpKind k);

struct Op {
  int id = 0;
  OpKind kind;
  std::string subject;
  std::string target;
  std::string reason;    // "new", "config changed", "stopped", "orphan", ...
  std::vector<int> deps;  // ids of ops that must succeed first
};

struct Plan {
  std::vector<Op> ops;

  int add(OpKind kind, std::string subject, std::string target, std::string reason,
          std::vector<int> deps = {});
  // True when the plan changes nothing in the engine (only gates and seeds).
  bool changes_nothing() const;
  // One line per op in id order: "3 start postgres (new) after 1,2". Golden tests
  // compare this text.
  std::string to_string() const;
  // Ops whose deps include `id`.
  std::vector<int> dependents(int id) const;
};

}  // namespace biodev::plan
