// `up` as a function of the stack, shared by the up, restart and run verbs: observe,
// choose (and build) images, plan, apply; planned again when an interrupted verb
// stopped containers under it. Takes the project lock.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "images/select.h"
#include "plan/apply.h"
#include "stack/stack.h"

namespace biodev::stack {

struct UpRequest {
  std::vector<std::string> services;  // empty = all
  int timeout_s = 300;
  bool seed = true;
  bool force_recreate = false;
  bool build = false;  // --build: rebuild every build: service
  // Shared network sandboxes (plan/sandbox.h): unset = the profile's shared_sandbox, or
  // the mode the project already runs in.
  std::optional<bool> shared_sandbox;
  images::Mode image_mode = images::Mode::kAuto;
  plan::Seeder seeder;                                              // set by configure_up_request
  std::function<std::string(const profile::Profile&)> gateway_spec;  // likewise
};

struct ServiceOutcome {
  std::string service, container, image, variant, stand_in;
  std::string substitute_for;  // upstream image the offline substitute runs for
  std::map<int, int> published;  // container port -> host port
  std::string sandbox;           // the shared sandbox it joined ("sandbox:postgres"), if any
  bool ready = false;
  double seconds = -1;  // since the start of `up`
};

struct UpResult {
  std::string project;
  bool ok = false, cancelled = false, unreachable = false, changed = false;
  double seconds = 0;
  std::vector<ServiceOutcome> services;
  std::vector<std::string> failures;
};

// Fills the seeder (seed/) and the gateway spec builder (serve/); `reseed` re-applies
// init scripts whose content changed.
void configure_up_request(const Stack& stack, UpRequest& req, bool reseed = false);
UpResult bring_up(const Stack& stack, const UpRequest& req);
// The services named and what they depend on; an unknown name is a UsageError with
// the closest name as a hint.
std::set<std::string> with_dependencies(const profile::Profile& p, const std::vector<std::string>& names);
// Creates the data folders binds need (owned by the invoking user); a missing source of
// any other bind is a UsageError at its file:line:col.
void prepare_host_paths(const profile::Profile& p, const plan::DesiredOptions& o);

}  // namespace biodev::stack
