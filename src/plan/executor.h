// Walks a Plan's DAG in parallel: an op starts as soon as every op it depends on has
// succeeded. It makes no decisions of its own: what an op does is the OpRunner's
// business, and a failed op only marks its dependents skipped (independent branches
// carry on, so one broken service does not hide the state of the others).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "plan/plan.h"

namespace biodev::plan {

struct OpEvent {
  enum class Phase { kStarted, kDone, kFailed, kSkipped };
  const Op* op = nullptr;
  Phase phase = Phase::kStarted;
  std::string detail;                   // failure message, or what was skipped for
  std::chrono::microseconds elapsed{0};  // for kDone/kFailed
};

// Runs one op; throws (any std::exception) to fail it.
using OpRunner = std::function<void(const Op&)>;
using OpEventSink = std::function<void(const OpEvent&)>;

struct OpFailure {
  const Op* op;
  std::string message;
  bool engine_unreachable = false;
};

class Executor {
 public:
  Executor(const Plan& plan, OpRunner runner, OpEventSink sink, int max_parallel = 32);
  // Returns when no op can run any more. True when every op succeeded. `cancel`, when
  // set, stops new ops from starting (running ops see the same flag through the runner).
  bool run(const std::atomic<bool>* cancel = nullptr);
  const std::vector<OpFailure>& failures() const { return failures_; }
  bool cancelled() const { return cancelled_; }

 private:
  const Plan& plan_;
  OpRunner runner_;
  OpEventSink sink_;
  int max_parallel_;
  std::vector<OpFailure> failures_;
  bool cancelled_ = false;
};

}  // namespace biodev::plan
