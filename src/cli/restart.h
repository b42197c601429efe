// Restarting one service's container and waiting until it is ready again: shared by
// `biodev restart` and `biodev watch`.
#pragma once

#include <string>

#include "cli/context.h"
#include "plan/state.h"

namespace biodev::cli {

// One Engine call (POST /containers/{id}/restart) and a readiness wait. Reports
// "restarting" and "ready"/"failed" events. Throws Error naming the service.
void restart_and_wait(Context& ctx, const profile::Profile& profile,
                      const plan::ObservedContainer& container, int timeout_s);

}  // namespace biodev::cli
