// `biodev serve leases`: hands out leases, each an isolated, seeded slice of the stack
// (its own Postgres database, Redis logical database, S3 buckets and Qdrant
// collections; serve/lease_stores.h), from a pool of slices kept ready in the background.
//
//   PUT    /config          the LeaseConfig (serve/lease_config.h), sent by `biodev up`
//                           and `biodev run` once the stack is ready; 204. Until then
//                           POST /leases answers 503.
//   POST   /leases          201 {"id", "env": {...}, "expires_in_s"}. Query: ttl=SECONDS
//                           (default BIODEV_LEASES_TTL_S, 3600; 0 = none), keepalive=1 (the
//                           lease ends when this HTTP connection closes).
//   POST   /leases/warm     200; query n=N (0 to 64, or BIODEV_LEASES_POOL_MAX when more),
//                           for=SECONDS (default 600): keep at least N slices ready for
//                           that long (announced demand: a suite's parallel workers).
//   GET    /leases          200 {"leases": [...], "pool": {...}}
//   GET    /leases/{id}     200 the lease; 404
//   DELETE /leases/{id}     204 once every part of the slice is dropped; 404
//   GET    /health          200 {"status": "ok", "configured": bool, ...}
//
// The pool's target is the demand of the last few seconds (leases handed out), between
// BIODEV_LEASES_POOL_MIN (2) and BIODEV_LEASES_POOL_MAX (8), or the announced demand
// (POST /leases/warm) when more; BIODEV_LEASES_WORKERS (4) threads, below the server's
// priority, make and drop slices, refilling the pool before dropping released slices.
// A slice made under an older configuration is dropped.
#pragma once

#include <chrono>
#include <memory>

#include "serve/server.h"

namespace biodev::serve {

struct LeaseServerConfig {
  int port = 8090;
  int threads = 2;
  int workers = 4;
  int pool_min = 2;
  int pool_max = 8;
  std::chrono::seconds default_ttl{3600};
  bool trace = false;  // BIODEV_LEASES_TRACE=1: log each store's time per slice made or dropped
  static LeaseServerConfig from_env();
};

class LeasePool {
 public:
  explicit LeasePool(const LeaseServerConfig& config);
  ~LeasePool();  // stops the workers; slices still held are left to the next start
  LeasePool(const LeasePool&) = delete;
  LeasePool& operator=(const LeasePool&) = delete;

  // Starts the worker threads (not started in unit tests of the handler).
  void start();
  Reply handle(const Request& request);
  void disconnected(unsigned long long connection);

 private:
  struct State;
  std::unique_ptr<State> s_;
};

int run_lease_server(const LeaseServerConfig& config);

}  // namespace biodev::serve
