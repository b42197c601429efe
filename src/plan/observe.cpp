#include <algorithm>

#include "plan/labels.h"
#include "plan/state.h"

namespace biodev::plan {

ObservedState observe(docker::Client& client, const std::string& project) {
  docker::Filters f{{"label", {std::string(labels::kProject) + "=" + project}}};
  ObservedState s;
  s.reach_host = client.reach_host();
  for (const auto& c : client.list_containers(f, true)) {
    if (c.label(labels::kReaper) == "true") continue;  // the run reaper is not a service
    s.containers.push_back({c.id, c.name, c.label(labels::kService), c.label(labels::kConfigHash),
                            c.state, c.label(labels::kVariant), c.labels, c.ports, c.status, c.image, c.ip});
  }
  auto nets = client.list_networks(f);
  std::sort(nets.begin(), nets.end(), [](const auto& a, const auto& b) { return a.created < b.created; });
  for (const auto& n : nets) {
    if (s.networks.count(n.name)) s.duplicate_networks.emplace_back(n.name, n.id);
    else s.networks[n.name] = n.id;
  }
  for (const auto& v : client.list_volumes(f)) s.volumes.push_back(v.name);
  return s;
}

}  // namespace biodev::plan
