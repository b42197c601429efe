// Readiness probes, run from the host against published ports (biodev up/health) or
// from the gateway container against service DNS names. One attempt per call; the
// waiting loop with backoff lives in health/wait.h.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "profile/model.h"

namespace biodev::health {

struct ProbeTarget {
  profile::ProbeSpec spec;
  std::string host;  // "127.0.0.1" or a DNS name
  int port = 0;      // the port to dial (published host port, or container port in-network)
};

struct ProbeResult {
  bool ok = false;
  std::chrono::microseconds latency{0};
  std::string detail;  // "accepting connections", "connection refused", "HTTP 503"
};

// Runs an exec probe (the command inside the container); supplied by callers that
// have an engine client. Returns the exit code, or throws.
using ExecRunner = std::function<int(const std::vector<std::string>& command)>;

// One attempt, bounded by `timeout`. Never throws: failures are results.
ProbeResult probe_once(const ProbeTarget& target, std::chrono::milliseconds timeout,
                       const ExecRunner& exec = {});

}  // namespace biodev::health
