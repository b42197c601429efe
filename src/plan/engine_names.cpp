#include "plan/engine_names.h"

#include "docker/errors.h"
#include "plan/state.h"
#include "util/error.h"
#include "util/strings.h"

namespace biodev::plan {

std::string engine_network(const profile::Profile& p, const std::string& network) {
  for (const auto& n : p.networks)
    if (n.name == network)
      return !n.engine_name.empty() ? n.engine_name : n.external ? n.name : network_name(p.project, network);
  return network_name(p.project, network);
}

std::string engine_volume(const profile::Profile& p, const std::string& volume) {
  for (const auto& v : p.volumes)
    if (v.name == volume)
      return !v.engine_name.empty() ? v.engine_name : v.external ? v.name : volume_name(p.project, volume);
  return volume_name(p.project, volume);
}

std::string service_container(const profile::Profile& p, const std::string& service) {
  const profile::Service* s = p.find(service);
  return s && !s->container_name.empty() ? s->container_name : container_name(p.project, service);
}

void check_external(docker::Client& client, const profile::Profile& p) {
  std::vector<std::string> missing;
  for (const auto& n : p.networks) {
    std::string name = engine_network(p, n.name);
    if (n.external && !client.network_exists(name))
      missing.push_back("network " + name + " is declared external but does not exist: create it first "
                        "(docker network create " + name + ")");
  }
  for (const auto& v : p.volumes) {
    std::string name = engine_volume(p, v.name);
    if (v.external && !client.volume_exists(name))
      missing.push_back("volume " + name + " is declared external but does not exist: create it first "
                        "(docker volume create " + name + ")");
  }
  if (!missing.empty()) throw Error(ExitCode::kFailed, join(missing, "\n"));
}

}  // namespace biodev::plan
