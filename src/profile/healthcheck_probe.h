// Readiness from a container healthcheck biodev recognises: `pg_isready`, `redis-cli
// ping`, `curl`/`wget` (or python's urlopen) of a localhost URL, `nc -z` (and bash's
// /dev/tcp). biodev probes the same thing from the host with its fast backoff instead
// of waiting for Docker's next interval; the healthcheck stays on the container.
// Pure: no I/O.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "profile/model.h"

namespace biodev::profile {

// The host-side probe equivalent to `test` (["CMD-SHELL", "..."] or ["CMD", ...], with
// `sh -c '...'` wrappers and `||`/`&&`/`|` chains around one meaningful check), or
// nullopt when biodev does not recognise the command or it checks another host.
// `own_names`: names the container answers to besides localhost (service name,
// hostname), so `curl -f http://api:8000/health` in api's own healthcheck counts.
std::optional<ProbeSpec> probe_from_healthcheck(const std::vector<std::string>& test,
                                                const std::vector<std::string>& own_names = {});

// For a healthcheck biodev does not recognise: its own test run in the container as an
// exec probe, so readiness (and `depends_on: service_healthy`) means what Docker's
// "healthy" means, seen at biodev's backoff instead of at Docker's next interval. The
// wait lasts as long as Docker would keep trying: start_period + retries x (interval +
// timeout), at least a minute. Kind kNone for NONE or an empty test.
ProbeSpec exec_probe_from_healthcheck(const Healthcheck& h);

// The programs a healthcheck runs, in order ("curl", "grep"; "sh" for a CMD-SHELL
// test, which needs a shell): what an image must have for it to work. Empty for NONE.
std::vector<std::string> healthcheck_programs(const std::vector<std::string>& test);

// "http :9000/minio/health/live", "postgres :5432", "tcp :6333": a probe as shown to users.
std::string describe_probe(const ProbeSpec& p);

}  // namespace biodev::profile
