#include "profile/healthcheck_probe.h"

namespace biodev::profile {

std::optional<ProbeSpec> probe_from_healthcheck(const std::vector<std::string>&) { return std::nullopt; }

}  // namespace biodev::profile
