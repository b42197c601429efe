// `up` as a function, shared by the up, restart and run verbs.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cli/context.h"
#include "images/select.h"
#include "plan/apply.h"

namespace biodev::cli {

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

// Fills the seeder and the gateway spec builder.
void configure_up_request(Context& ctx, UpRequest& req, bool reseed = false);
UpResult bring_up(Context& ctx, const UpRequest& req);
void print_up_result(Context& ctx, const UpResult& r);
int up_exit_code(const UpResult& r);
std::set<std::string> with_dependencies(const profile::Profile& p, const std::vector<std::string>& names);

}  // namespace biodev::cli
