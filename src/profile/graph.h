// `biodev graph`: the profile as a diagram: services (with image and published ports),
// networks (tiers), and depends_on edges labelled with their condition. Pure.
#pragma once

#include <string>

#include "profile/model.h"

namespace biodev::profile {

std::string graph_mermaid(const Profile& p);
std::string graph_dot(const Profile& p);
// The same diagram as a self-contained SVG: the host on the left, then each service in
// a column by how deep its depends_on chain goes (stores on the right). Each service is
// a <g class="svc" data-service="NAME"> so a page can style it by its state.
std::string graph_svg(const Profile& p);

}  // namespace biodev::profile
