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

// For a container biodev-init runs in (labels::kInPlaceRestart): the service's process
// is started again inside it (one exec of `biodev-init --restart`), then the readiness
// wait; a process that ends before it is ready fails at once, with the last lines of its
// output. The container, its address and its ports stay. Falls back to the container's
// restart when no biodev-init answers. Reports as restart_and_wait does.
void restart_in_place_and_wait(Context& ctx, const profile::Profile& profile,
                               const plan::ObservedContainer& container, int timeout_s);

}  // namespace biodev::cli
