// Waiting for readiness: probe_once in a loop with fast backoff (20 ms, x1.5, capped at
// 250 ms), so a service is seen ready within a few tens of milliseconds of being so,
// without waiting for Docker's healthcheck interval.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "health/probe.h"

namespace biodev::health {

struct WaitOptions {
  std::chrono::milliseconds timeout{60000};
  const std::atomic<bool>* cancel = nullptr;
  // Polled between attempts (at most every `died_every`): returns a description when
  // the container is gone or exited ("exited with code 1"), which ends the wait.
  std::function<std::optional<std::string>()> died;
  std::chrono::milliseconds died_every{300};
  ExecRunner exec;
  std::function<void(const ProbeResult&, int attempt)> on_attempt;
};

struct WaitResult {
  bool ready = false;
  ProbeResult last;
  int attempts = 0;
  std::chrono::milliseconds waited{0};
  std::string failure;  // "timed out after 60s: connection refused", "exited with code 1"
};

WaitResult wait_ready(const ProbeTarget& target, const WaitOptions& options);

}  // namespace biodev::health
