#include <algorithm>

#include "plan/labels.h"
#include "plan/state.h"
#include "util/strings.h"

namespace biodev::plan {

// A member of a shared sandbox publishes nothing itself: its ports (its own container
// ports only) and its address are its sandbox's.
void inherit_sandbox_ports(ObservedState& s) {
  std::map<std::string, const ObservedContainer*> sandboxes;
  for (const auto& c : s.containers)
    if (c.labels.count(labels::kSandboxMembers)) sandboxes[c.service] = &c;
  for (auto& c : s.containers) {
    auto it = c.labels.find(labels::kSandbox);
    if (it == c.labels.end()) continue;
    c.sandbox = it->second;
    auto sb = sandboxes.find(c.sandbox);
    if (sb == sandboxes.end()) continue;
    std::vector<std::string> mine = split(c.labels[labels::kSandboxPorts], ',');
    c.ports.clear();
    for (const auto& b : sb->second->ports)
      if (std::find(mine.begin(), mine.end(), std::to_string(b.container_port) + "/" + b.protocol) != mine.end())
        c.ports.push_back(b);
    if (c.state == "running") c.ip = sb->second->ip;
  }
}

ObservedState observe(docker::Client& client, const std::string& project) {
  docker::Filters f{{"label", {std::string(labels::kProject) + "=" + project}}};
  ObservedState s;
  s.reach_host = client.reach_host();
  for (const auto& c : client.list_containers(f, true)) {
    if (c.label(labels::kReaper) == "true") continue;  // the run reaper is not a service
    s.containers.push_back({c.id, c.name, c.label(labels::kService), c.label(labels::kConfigHash),
                            c.state, c.label(labels::kVariant), c.labels, c.ports, c.status, c.image, c.ip});
  }
  inherit_sandbox_ports(s);
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
