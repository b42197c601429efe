// Which containers of the project a verb acts on, from the service names it was given.
#pragma once

#include <string>
#include <vector>

#include "plan/state.h"

namespace biodev::cli {

// The containers of `names` (all of the project's when empty). A name with no container
// is a UsageError (exit 2) naming the project, with the closest service as a hint.
// Shared sandboxes are left out (a verb on one would take its members' namespace
// away) unless `with_sandboxes` (logs, which only reads).
std::vector<const plan::ObservedContainer*> pick(const plan::ObservedState& obs,
                                                 const std::vector<std::string>& names,
                                                 const std::string& project,
                                                 bool with_sandboxes = false);

}  // namespace biodev::cli
