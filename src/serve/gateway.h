// `biodev serve gateway`: the project's health gateway, inside the project network.
//
//   GET /health         200 {"status":"ok"}: the gateway itself is up
//   GET /api/v1/health  every target's readiness: 200 when all required targets are
//                       healthy, else 503; body
//                       {"status":"healthy|unhealthy",
//                        "services":{"postgres":{"status":"healthy","latency_ms":1.2,
//                                                "detail":"...","required":true}, ...},
//                        "checked_at":"2025-01-01T12:00:00.000Z"}
//   GET /metrics        biodev_service_up{service}, biodev_service_latency_seconds{service},
//                       request counters
//   anything else       proxied to the route with the longest matching prefix (path kept),
//                       or 404 listing the routes
//
// Health results are cached for spec.ttl_ms. When they are stale, the first request
// starts one probe round (all targets in parallel, each bounded by
// spec.probe_timeout_ms) and every request that arrives meanwhile waits for that same
// round, without holding a server thread. So a flood of requests costs at most one
// round per TTL, and a stopped service shows unhealthy within TTL + probe timeout.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "health/probe.h"
#include "serve/gateway_spec.h"
#include "serve/metrics.h"
#include "serve/server.h"

namespace biodev::serve {

// One readiness check; the real one is health::probe_once. Must return within about
// `timeout`.
using Prober =
    std::function<health::ProbeResult(const health::ProbeTarget&, std::chrono::milliseconds)>;

struct GatewayConfig {
  std::string host = "0.0.0.0";
  int port = 8080;   // GATEWAY_PORT
  int threads = 0;   // BIODEV_SERVE_THREADS
  GatewaySpec spec;  // BIODEV_GATEWAY_SPEC; unset = no targets, no routes

  // Throws UsageError on malformed values.
  static GatewayConfig from_env();
};

struct TargetStatus {
  std::string name;
  bool ok = false;
  bool required = true;
  std::chrono::microseconds latency{0};
  std::string detail;
};

class Gateway {
 public:
  Gateway(GatewaySpec spec, Prober prober);
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Thread-safe. /api/v1/health and /metrics answer at once from a fresh cache, else
  // with a deferred reply completed by the next probe round.
  Reply handle(const Request& req);

  uint64_t probe_rounds() const;  // rounds run so far

  // Finishes a round in flight (its waiters get their replies) and stops probing.
  // Call after the server's threads have stopped and before the server is destroyed,
  // so late replies still find its io_context. Idempotent; the destructor calls it.
  void shutdown();

 private:
  struct Snapshot {
    std::vector<TargetStatus> targets;
    bool healthy = true;
    std::chrono::steady_clock::time_point started;
    std::string checked_at;   // RFC 3339, UTC
    std::string health_body;  // the /api/v1/health body, rendered once per round
  };
  // Renders a reply from a snapshot (a member, so the cached path allocates nothing).
  using Render = Reply (Gateway::*)(const Snapshot&) const;
  struct Waiter {
    Render render;
    std::string route;
    std::chrono::steady_clock::time_point start;
    ReplySink sink;
  };

  Reply with_snapshot(std::string_view route, Render render);
  Reply reply_from(const Snapshot& snap, Render render, std::string_view route,
                   std::chrono::steady_clock::time_point start);
  void await_round(uint64_t round, Waiter waiter);
  void worker_loop();
  std::shared_ptr<const Snapshot> run_round();
  Reply health_reply(const Snapshot& snap) const;
  Reply metrics_reply(const Snapshot& snap) const;
  Reply route_or_404(const Request& req);

  GatewaySpec spec_;
  Prober prober_;
  RequestMetrics metrics_{"biodev_gateway"};

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::shared_ptr<const Snapshot> snapshot_;
  uint64_t rounds_done_ = 0;
  bool round_wanted_ = false;
  bool round_running_ = false;
  bool stopping_ = false;
  std::vector<Waiter> waiters_;
  std::thread worker_;  // runs the probe rounds
};

// Serves until SIGINT/SIGTERM; returns the exit code.
int run_gateway_server(const GatewayConfig& config);

}  // namespace biodev::serve
