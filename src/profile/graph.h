// `biodev graph`: the profile as a diagram: services (with image and published ports),
// networks (tiers), and depends_on edges labelled with their condition. Pure.
#pragma once

#include <string>

#include "profile/model.h"

namespace biodev::profile {

std::string graph_mermaid(const Profile& p);
std::string graph_dot(const Profile& p);

}  // namespace biodev::profile
