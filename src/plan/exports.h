// The prod env-var contract with real published ports: a profile's `exports:`
// templates with {{service:port}} placeholders filled from what the engine published.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "plan/state.h"
#include "profile/model.h"

namespace biodev::plan {

// service -> container port -> "host:port" as reachable from the host.
using PublishedPorts = std::map<std::string, std::map<int, std::pair<std::string, int>>>;

PublishedPorts published_ports(const ObservedState& observed);

// Fills every export. Throws Error(kFailed) naming the export and the service when a
// placeholder's service is not running or does not publish the port. `variants` says
// which variant of each service runs ("offline" or "upstream"), for env placeholders.
std::vector<std::pair<std::string, std::string>> resolve_exports(
    const profile::Profile& profile, const PublishedPorts& ports,
    const std::map<std::string, std::string>& variants = {});

// service -> variant label of its running container.
std::map<std::string, std::string> running_variants(const ObservedState& observed);

}  // namespace biodev::plan
