// Which image each service runs, and making sure it exists before planning.
//
// A service may name an upstream image and an `offline:` variant. In auto mode biodev
// keeps the variant an existing container already uses (so data written by Postgres 15
// is not handed to 16), else uses whichever image is already present, else pulls the
// upstream one, and falls back to building the offline one when no registry answers.
// Images biodev can build itself (biodev/* recipes, biodev/runtime) are built when
// missing; anything else is pulled with progress (`pull_policy: never` never pulls,
// `always` pulls even a present image). A `build:` service runs the image built from
// its context (images/service_build.h; variant "build").
#pragma once

#include <atomic>
#include <map>
#include <set>
#include <string>

#include "docker/client.h"
#include "plan/state.h"
#include "profile/model.h"
#include "profile/substitutes.h"
#include "util/progress.h"

namespace biodev::images {

enum class Mode { kAuto, kUpstream, kOffline };

// --offline wins; else BIODEV_IMAGES=auto|upstream|offline; else auto.
Mode mode_from(bool offline_flag);

struct EnsureOptions {
  Mode mode = Mode::kAuto;
  std::set<std::string> services;  // empty = all
  const plan::ObservedState* observed = nullptr;
  const std::atomic<bool>* cancel = nullptr;
  bool force_build = false;  // `up --build`: build every `build:` service, hash or not
  std::vector<profile::SubstituteRule> substitutes;  // user rules, for FROM lines of builds
  // Images this `up` has built already (by service): used as they are, never built again.
  std::map<std::string, plan::ImageChoice> built;
};

// Throws EngineError / Error naming the service and image when one cannot be had.
std::map<std::string, plan::ImageChoice> ensure_images(docker::Client& client,
                                                       const profile::Profile& profile,
                                                       const EnsureOptions& options,
                                                       progress::Reporter& reporter);

// The `build:` services among options.services (empty = all) whose images
// ensure_images would build now (service_build.h's build_pending).
std::set<std::string> builds_pending(docker::Client& client, const profile::Profile& profile,
                                     const EnsureOptions& options);

}  // namespace biodev::images
