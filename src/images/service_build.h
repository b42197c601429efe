// Images of `build:` services, built through the engine's POST /build.
//
// The image is tagged with the service's `image:` when it has one, else
// <project>-<service> (as docker compose v2 names it), and labelled
// dev.biodev.build-hash (build_hash() of images/build_context.h), dev.biodev.project,
// dev.biodev.service and dev.biodev.managed. A present image whose hash label matches is
// used as it is: a warm `up` costs a walk of the context (no tar) and one inspect call.
// Otherwise, or when forced (`up --build`, `biodev build`, `pull_policy: build`), the
// context is tarred and built with progress reported under the service's name; then the
// project's biodev-built images that lost their tag to a rebuild and that no container
// uses any more are removed, so rebuilds do not pile up untagged images.
//
// Base images (FROM) missing locally are pulled first when an offline substitute exists
// for them (profile/substitutes.h); when no registry answers, the tarred Dockerfile names
// the substitute instead, and the reporter says "python:3.12-slim -> biodev/python:3.11
// (offline substitute)".
//
// A failed build throws Error (exit 1) naming the service, the Dockerfile line and the
// engine's message: "service api: build failed at /src/api/Dockerfile:3 (RUN exit 3):
// The command '/bin/sh -c exit 3' returned a non-zero code: 3", with the step's last
// output lines.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "docker/client.h"
#include "images/dockerfile.h"
#include "profile/model.h"
#include "profile/substitutes.h"
#include "util/progress.h"

namespace biodev::images {

inline constexpr const char* kBuildHashLabel = "dev.biodev.build-hash";

// The tag a build service's image gets: its `image:`, else "<project>-<service>" (lower case).
std::string build_tag(const std::string& project, const profile::Service& s);

struct ServiceBuildOptions {
  bool force = false;  // build even when the hash label matches
  std::vector<profile::SubstituteRule> substitutes;  // user rules for FROM lines
  // The offline substitute of a FROM image; unset = profile::substitute_image(ref, substitutes).
  std::function<std::optional<std::string>(const std::string&)> substitute;
  const std::atomic<bool>* cancel = nullptr;
};

struct ServiceBuildResult {
  std::string image;     // the tag
  std::string image_id;  // "sha256:..."
  bool built = false;    // false: the present image was current
};

// `s.build` must be set.
ServiceBuildResult ensure_built(docker::Client& client, const std::string& project,
                                const profile::Service& s, const ServiceBuildOptions& options,
                                progress::Reporter& reporter);

// Whether ensure_built would build now: forced (`force` or `pull_policy: build`), no
// image under the tag, or one whose hash label differs. A walk of the context and one
// inspect call, as a warm ensure_built.
bool build_pending(docker::Client& client, const std::string& project, const profile::Service& s,
                   bool force);

// Pieces of the above, pure, for tests.
// The classic builder's step number in "Step 3/5 : RUN ..."; 0 for any other line.
int step_number(std::string_view line);
// "service api: build failed at <dockerfile>:<line> (<instruction>): <engine message>".
std::string build_failure(const std::string& service, const std::string& dockerfile,
                          const std::vector<Instruction>& instructions, int step,
                          const std::string& engine_message);

}  // namespace biodev::images
