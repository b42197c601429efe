#include "profile/substitutes.h"

namespace biodev::profile {

std::optional<std::string> substitute_image(const std::string&, const std::vector<SubstituteRule>&) {
  return std::nullopt;
}

void apply_offline_substitute(Service&, const std::vector<SubstituteRule>&, const std::string&) {}

}  // namespace biodev::profile
