// The engine names of a profile's networks, volumes and containers, and the check that
// the `external: true` ones exist. Compose `name:` wins; an external object is named by
// its key; the rest are <project>_<name> (containers: `container_name`, else
// <project>-<service>). External networks and volumes are never created or removed.
#pragma once

#include <string>
#include <vector>

#include "docker/client.h"
#include "profile/model.h"

namespace biodev::plan {

std::string engine_network(const profile::Profile& p, const std::string& network);
std::string engine_volume(const profile::Profile& p, const std::string& volume);
std::string service_container(const profile::Profile& p, const std::string& service);

// Throws Error (exit 1) naming every external network and volume the engine lacks, with
// the command that makes it. One inspect call each; none when the profile declares none.
void check_external(docker::Client& client, const profile::Profile& p);

}  // namespace biodev::plan
