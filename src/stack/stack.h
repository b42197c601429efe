// What the stack-level operations (src/stack/) work on: the project's profile, the
// engine, where the engine runs, where progress goes, and the cancel flag. The verbs in
// src/cli/ make one from their command line; tests and other front ends can make one
// without the CLI.
#pragma once

#include <atomic>

#include "docker/client.h"
#include "docker/engine_config.h"
#include "profile/model.h"
#include "util/progress.h"

namespace biodev::stack {

struct Stack {
  const profile::Profile& profile;
  docker::Client& client;
  const docker::Endpoint& endpoint;
  progress::Reporter& reporter;
  const std::atomic<bool>* cancel = nullptr;  // set: stop starting operations (Ctrl-C)
  bool verbose = false;                       // say the plan and each service's readiness
};

}  // namespace biodev::stack
