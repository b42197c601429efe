// Readiness from a container healthcheck biodev recognises: `pg_isready`, `redis-cli
// ping`, `curl`/`wget` of a localhost URL, `nc -z`. biodev probes the same thing from
// the host with its fast backoff instead of waiting for Docker's next interval; the
// healthcheck stays on the container. Pure: no I/O.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "profile/model.h"

namespace biodev::profile {

// The host-side probe equivalent to `test` (["CMD-SHELL", "..."] or ["CMD", ...]), or
// nullopt when biodev does not recognise the command.
std::optional<ProbeSpec> probe_from_healthcheck(const std::vector<std::string>& test);

}  // namespace biodev::profile
