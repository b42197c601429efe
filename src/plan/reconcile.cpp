#include "plan/reconcile.h"

#include <algorithm>
#include <map>

namespace biodev::plan {
namespace {

// Services in an order where every service comes after the ones it depends on; ties
// keep profile order so plans read the way the profile does.
std::vector<const DesiredContainer*> dependency_order(const DesiredState& d) {
  std::vector<const DesiredContainer*> out;
  std::set<std::string> placed;
  while (out.size() < d.containers.size()) {
    bool progressed = false;
    for (const auto& c : d.containers) {
      if (placed.count(c.service)) continue;
      auto ready = [&](const std::vector<std::string>& deps) {
        return std::all_of(deps.begin(), deps.end(), [&](const std::string& s) {
          return placed.count(s) || !d.find(s);
        });
      };
      if (ready(c.depends_started) && ready(c.depends_healthy) && ready(c.depends_completed)) {
        out.push_back(&c);
        placed.insert(c.service);
        progressed = true;
      }
    }
    if (!progressed) break;  // a cycle: the loader rejects these, so this is unreachable
  }
  return out;
}

bool is_running(const ObservedContainer& c) {
  return c.state == "running" || c.state == "restarting" || c.state == "paused";
}

struct Started {
  int start = 0;    // op after which the container runs (0: it already does)
  std::string target;
  std::string reason;
  std::vector<int> deps;
  bool needs_start = false;
  bool lead = false;  // a lead start: the rest of the first wave starts after it
};

// reconcile_up in its passes, in the order they add ops (op ids are the order, and
// plans are compared with golden files, so the passes keep it).
class UpPlanner {
 public:
  UpPlanner(const DesiredState& desired, const ObservedState& observed, const UpOptions& o)
      : desired_(desired), observed_(observed), o_(o) {}

  Plan build() {
    resources();
    if (o_.remove_orphans) orphans();
    // Pass 1: everything that must happen before a service can start.
    for (const auto& c : desired_.containers) prepare(c);
    // Pass 2: starts and gates, in dependency order.
    lead_starts();
    gates();
    return std::move(p_);
  }

 private:
  void resources() {
    for (const auto& n : desired_.networks)
      net_op_[n.full_name] = observed_.has_network(n.full_name)
                                 ? 0
                                 : p_.add(OpKind::kCreateNetwork, n.name, n.full_name, "new");
    for (const auto& [name, id] : observed_.duplicate_networks)
      p_.add(OpKind::kRemoveNetwork, name, id, "duplicate");
    for (const auto& v : desired_.volumes)
      vol_op_[v.full_name] = observed_.has_volume(v.full_name)
                                 ? 0
                                 : p_.add(OpKind::kCreateVolume, v.name, v.full_name, "new");
  }

  void orphans() {
    for (const auto& c : observed_.containers) {
      if (desired_.find(c.service)) continue;
      remove(c.service.empty() ? c.name : c.service, c, "orphan");
    }
  }

  // Stop (when it runs) and remove; returns the removal.
  int remove(const std::string& who, const ObservedContainer& c, const std::string& why) {
    int stop = is_running(c) ? p_.add(OpKind::kStopContainer, who, c.id, why) : 0;
    return p_.add(OpKind::kRemoveContainer, who, c.id, why, {stop});
  }

  // The service's container to keep or replace (the one with the desired name, else
  // any); every other container of the service is removed as a duplicate.
  const ObservedContainer* primary_of(const DesiredContainer& c) {
    std::vector<const ObservedContainer*> obs = observed_.for_service(c.service);
    auto it = std::find_if(obs.begin(), obs.end(),
                           [&](const ObservedContainer* x) { return x->name == c.name; });
    const ObservedContainer* primary = it != obs.end() ? *it : nullptr;
    if (!primary && !obs.empty()) primary = obs.front();
    for (const ObservedContainer* extra : obs)
      if (extra != primary) remove(c.service, *extra, "duplicate");
    return primary;
  }

  void prepare(const DesiredContainer& c) {
    const ObservedContainer* primary = primary_of(c);
    Started& st = started_[c.service];
    bool same = primary && primary->config_hash == c.config_hash && primary->name == c.name;
    bool sandbox_new = !c.sandbox.empty() && sandbox_restarts_.count(c.sandbox) > 0;
    if (same && !o_.force_recreate && !(sandbox_new && is_running(*primary))) {
      if (!is_running(*primary)) st = {0, primary->id, "stopped", {}, true};
      if (c.is_sandbox && st.needs_start) sandbox_restarts_.insert(c.service);
      return;
    }
    if (c.is_sandbox) sandbox_restarts_.insert(c.service);
    int removal = 0;
    if (primary) {
      std::string why = o_.force_recreate && same ? "forced"
                        : same                    ? "sandbox recreated"
                                                  : "config changed";
      removal = remove(c.service, *primary, why);
    }
    std::vector<int> deps{removal};
    deps.push_back(net_op_[c.spec.host.network_mode]);
    for (const auto& m : c.spec.host.mounts)
      if (m.type == docker::MountSpec::Type::kVolume) deps.push_back(vol_op_[m.source]);
    if (auto sb = sandbox_create_.find(c.sandbox); sb != sandbox_create_.end())
      deps.push_back(sb->second);
    int create =
        p_.add(OpKind::kCreateContainer, c.service, c.name, primary ? "recreate" : "new", deps);
    if (c.is_sandbox) sandbox_create_[c.service] = create;
    st = {0, c.name, primary ? "recreate" : "new", {create}, true};
    for (const auto& [net, aliases] : c.extra_networks)
      st.deps.push_back(
          p_.add(OpKind::kConnectNetwork, c.service, net, "", {create, net_op_[net]}));
  }

  // Lead starts: the engine serialises much of a container start (network sandbox,
  // port proxies), so starts issued together each take as long as all of them. A
  // service that is slow to become ready after its start (Postgres making its cluster)
  // is what the whole up waits for; its start goes alone, and the other starts of the
  // first wave (services that wait on nothing) follow it.
  // Sandboxes start first of all; a member that waits only on its sandbox is of the
  // first wave.
  static bool first_wave(const DesiredContainer& c) {
    bool only_sandbox = c.depends_started.empty() ||
                        (c.depends_started.size() == 1 && c.depends_started[0] == c.sandbox);
    return !c.is_sandbox && only_sandbox && c.depends_healthy.empty() &&
           c.depends_completed.empty();
  }

  void lead_starts() {
    for (const auto& c : desired_.containers) {
      Started& st = started_[c.service];
      if (!c.is_sandbox || !st.needs_start) continue;
      st.start = p_.add(OpKind::kStartContainer, c.service, st.target, st.reason, st.deps);
      st.lead = true;  // started: the passes below add no second start
    }
    for (const DesiredContainer* c : dependency_order(desired_)) {
      Started& st = started_[c->service];
      if (!st.needs_start || !c->slow_ready || !first_wave(*c)) continue;
      std::vector<int> deps = st.deps;
      if (!c->sandbox.empty()) deps.push_back(started_[c->sandbox].start);
      st.start = p_.add(OpKind::kStartContainer, c->service, st.target, st.reason, deps);
      st.lead = true;
      lead_starts_.push_back(st.start);
    }
  }

  void gates() {
    // Which services others wait on to finish (one-shot jobs).
    std::set<std::string> awaited_completion;
    for (const auto& c : desired_.containers)
      for (const auto& s : c.depends_completed) awaited_completion.insert(s);
    for (const DesiredContainer* c : dependency_order(desired_)) {
      Started& st = started_[c->service];
      std::vector<int> deps = st.deps;
      for (const auto& s : c->depends_started) deps.push_back(gate_started_[s]);
      for (const auto& s : c->depends_healthy) deps.push_back(gate_healthy_[s]);
      for (const auto& s : c->depends_completed) deps.push_back(gate_completed_[s]);
      if (!st.lead && first_wave(*c))
        deps.insert(deps.end(), lead_starts_.begin(), lead_starts_.end());
      if (st.needs_start && !st.lead)
        st.start = p_.add(OpKind::kStartContainer, c->service, st.target, st.reason, deps);
      gate_started_[c->service] = st.start;
      if (c->is_sandbox) {  // holds a namespace: nothing to wait for once it runs
        gate_healthy_[c->service] = st.start;
      } else if (awaited_completion.count(c->service)) {
        int done = p_.add(OpKind::kAwaitCompleted, c->service, "", "", {st.start});
        gate_completed_[c->service] = gate_healthy_[c->service] = done;
      } else {
        int ready = p_.add(OpKind::kAwaitReady, c->service, "", "", {st.start});
        gate_healthy_[c->service] =
            o_.seed && c->has_seed ? p_.add(OpKind::kSeed, c->service, "", "", {ready}) : ready;
      }
    }
  }

  const DesiredState& desired_;
  const ObservedState& observed_;
  const UpOptions& o_;
  Plan p_;
  std::map<std::string, int> net_op_, vol_op_;
  std::map<std::string, Started> started_;
  // Shared sandboxes that start anew: the namespace their members joined is gone, so a
  // member that runs is recreated into the new one. Sandboxes come first in `desired`.
  std::set<std::string> sandbox_restarts_;
  // A member is created after its sandbox: an engine may resolve `container:<name>` at
  // create (Podman does), and the sandbox's create is on the start path anyway.
  std::map<std::string, int> sandbox_create_;
  std::vector<int> lead_starts_;
  std::map<std::string, int> gate_started_, gate_healthy_, gate_completed_;
};

}  // namespace

Plan reconcile_up(const DesiredState& desired, const ObservedState& observed, const UpOptions& o) {
  return UpPlanner(desired, observed, o).build();
}

Plan reconcile_down(const ObservedState& observed, const DownOptions& o) {
  Plan p;
  std::vector<int> removed;
  for (const auto& c : observed.containers) {
    std::string who = c.service.empty() ? c.name : c.service;
    int stop = is_running(c) ? p.add(OpKind::kStopContainer, who, c.id, "") : 0;
    removed.push_back(p.add(OpKind::kRemoveContainer, who, c.id, "", {stop}));
  }
  for (const auto& [name, id] : observed.networks) p.add(OpKind::kRemoveNetwork, name, id, "", removed);
  for (const auto& [name, id] : observed.duplicate_networks)
    p.add(OpKind::kRemoveNetwork, name, id, "duplicate", removed);
  if (o.remove_volumes) {
    for (const auto& v : observed.volumes) p.add(OpKind::kRemoveVolume, v, v, "", removed);
    for (const auto& d : o.data_dirs) p.add(OpKind::kRemoveDataDir, d, d, "", removed);
  }
  return p;
}

}  // namespace biodev::plan
