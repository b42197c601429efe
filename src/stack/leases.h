// The stack side of leases: finding a profile's lease service, building the LeaseConfig
// it needs from the profile and the published ports, and calling its HTTP API.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "docker/client.h"
#include "plan/state.h"
#include "seed/http.h"
#include "serve/lease_config.h"

namespace biodev::stack {

// The service that runs `biodev serve leases` (its command ends with serve, leases), or
// nullptr when the profile has none.
const profile::Service* lease_service(const profile::Profile& p);

// The stores the lease service cuts slices of: the services with a postgres or redis
// probe, an s3 seed and a qdrant seed (the variant that runs, as `observed` says), as
// the lease service reaches them (service name, container port), and `host_env`: the
// resolved exports. Throws Error(kFailed) naming a store whose .sh seed scripts the
// lease service cannot run.
lease::LeaseConfig lease_config_for(
    const profile::Profile& p, const plan::ObservedState& observed,
    const std::vector<std::pair<std::string, std::string>>& host_env, bool with_scripts = true);

// The same stores as this machine reaches them (the host addresses the engine published
// their ports on), without seed scripts: what `biodev snapshot` talks to. Throws
// Error(kFailed) naming a store's service that is not running or publishes no port.
lease::LeaseConfig host_stores(const profile::Profile& p, const plan::ObservedState& observed);

struct LeaseApi {
  std::string host;
  int port = 0;
  std::string url() const;  // http://host:port/leases
};

// Where the running lease service answers from here. Throws UsageError (exit 2) when
// the profile has no lease service, Error(kFailed) when it does not run or publishes
// no port.
LeaseApi find_lease_api(const profile::Profile& p, const plan::ObservedState& observed);

// PUT /config with the configuration for the running stack. Throws Error(kFailed)
// naming the lease service when it cannot be reached or refuses.
void send_lease_config(const profile::Profile& p, docker::Client& client);

// One call to the lease API; throws Error(kFailed) naming the service when the call
// cannot be made.
seed::HttpResponse lease_call(const LeaseApi& api, const std::string& method,
                              const std::string& target, const std::string& body = "");

}  // namespace biodev::stack
