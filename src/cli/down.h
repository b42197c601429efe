// Taking a project down: shared by `biodev down` and the teardown of `biodev run`.
#pragma once

#include <string>
#include <vector>

#include "cli/context.h"
#include "plan/reconcile.h"
#include "plan/state.h"

namespace biodev::cli {

struct DownResult {
  bool ok = false;
  std::vector<std::string> errors;
  // Networks the engine would not remove though no container used them (its own fault,
  // docker::NetworkKeptByEngine): left in place, with a warning; not a failure.
  std::vector<std::string> networks_kept;
};

// Stops and removes what `obs` holds (networks too; volumes and data folders when the
// options say so), reporting progress. Deliberately not cancellable: teardown runs to
// the end even after Ctrl-C.
DownResult take_down(Context& ctx, const plan::ObservedState& obs, const plan::DownOptions& o);

}  // namespace biodev::cli
