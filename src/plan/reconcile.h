// reconcile(): the pure heart of biodev. Given what the profile wants and what the
// engine has, returns the Plan that converges them. No I/O, no clock: golden tests pin
// its output (tests/unit/test_plan_reconcile.cpp), as docker compose's reconcile_test.go
// does.
#pragma once

#include <set>
#include <string>

#include "plan/plan.h"
#include "plan/state.h"

namespace biodev::plan {

struct UpOptions {
  bool force_recreate = false;
  bool seed = true;
  bool remove_orphans = true;  // containers of services no longer in the profile
};

// Creates missing networks/volumes; per service: keep (same config hash, running),
// start (same hash, stopped), recreate (hash changed or forced), create (missing); then
// gates every service on readiness (and seeding), ordering starts by depends_on.
Plan reconcile_up(const DesiredState& desired, const ObservedState& observed, const UpOptions& o);

struct DownOptions {
  bool remove_volumes = false;                 // volumes (named, anonymous) and .data/ folders
  std::vector<std::string> data_dirs;          // host folders `down -v` removes
};

// Stops every project container in parallel, removes them, then networks (and volumes
// with -v). Works from the observed state alone: down needs no profile.
Plan reconcile_down(const ObservedState& observed, const DownOptions& o);

}  // namespace biodev::plan
