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
// The same diagram as a self-contained SVG: the host on the left, then each service in
// a column by how deep its depends_on chain goes (stores on the right). Each service is
// a <g class="svc" data-service="NAME"> so a page can style it by its state.
std::string graph_svg(const Profile& p);

}  // namespace biodev::profile
