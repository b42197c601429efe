// `biodev graph`: the profile as a diagram: services (with image and published ports),
// networks (tiers), and depends_on edges labelled with their condition, and the shared
// network sandboxes when given. Pure.
#pragma once

#include <string>
#include <vector>

#include "profile/model.h"

namespace biodev::profile {

// A shared network sandbox (plan/sandbox.h), drawn as a box around its members.
struct GraphSandbox {
  std::string name;                  // "sandbox:postgres"
  std::vector<std::string> members;  // service names
};

std::string graph_mermaid(const Profile& p, const std::vector<GraphSandbox>& sandboxes = {});
std::string graph_dot(const Profile& p, const std::vector<GraphSandbox>& sandboxes = {});

}  // namespace biodev::profile
