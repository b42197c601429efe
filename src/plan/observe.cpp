#include <algorithm>

#include "plan/labels.h"
#include "docker/errors.h"
#include "plan/state.h"
#include "util/error.h"
#include "util/strings.h"

namespace biodev::plan {

ObservedState observe(docker::Client& client, const std::string& project) {
  docker::Filters f{{"label", {std::string(labels::kProject) + "=" + project}}};
  ObservedState s;
  for (const auto& c : client.list_containers(f, true)) {
    if (c.label(labels::kReaper) == "true") continue;  // the run reaper is not a service
    s.containers.push_back({c.id, c.name, c.label(labels::kService), c.label(labels::kConfigHash),
                            c.state, c.label(labels::kVariant), c.labels, c.ports, c.status, c.image});
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

void check_external(docker::Client& client, const DesiredState& desired) {
  std::vector<std::string> missing;
  for (const auto& n : desired.external_networks) {
    try {
      client.inspect_network(n);
    } catch (const docker::EngineError& e) {
      if (e.kind() != docker::ErrorKind::kNotFound) throw;
      missing.push_back("network " + n + " is declared external but does not exist: create it first "
                        "(docker network create " + n + ")");
    }
  }
  for (const auto& v : desired.external_volumes)
    if (!client.inspect_volume(v))
      missing.push_back("volume " + v + " is declared external but does not exist: create it first "
                        "(docker volume create " + v + ")");
  if (!missing.empty()) throw Error(ExitCode::kFailed, join(missing, "\n"));
}

}  // namespace biodev::plan
