// What `biodev serve gateway` checks and routes, passed to the gateway container as
// JSON in the env var BIODEV_GATEWAY_SPEC. Built from the resolved profile on the host;
// read back inside the container. Format (every field optional except names/hosts/ports):
//
//   {
//     "ttl_ms": 1000,              // health results are reused this long
//     "probe_timeout_ms": 500,     // per probe
//     "proxy_timeout_ms": 30000,   // per proxied request
//     "services": [
//       {"name": "postgres", "host": "postgres", "port": 5432, "required": true,
//        "probe": {"kind": "postgres", "user": "app", "database": "app"}},
//       {"name": "api", "host": "api", "port": 8000, "required": false,
//        "probe": {"kind": "http", "path": "/health", "expect_status": 200}}
//     ],
//     "routes": [
//       {"prefix": "/api/", "service": "api", "host": "api", "port": 8000},
//       {"prefix": "/inference/", "service": "inference", "host": "inference", "port": 8000,
//        "strip_prefix": true}
//     ]
//   }
//
// probe.kind is tcp | http | postgres | redis (exec cannot run from inside the network).
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "profile/model.h"

namespace biodev::serve {

struct GatewayTarget {
  std::string name;  // key in /api/v1/health and the metrics' service label
  std::string host;  // DNS name on the project network (the service name)
  int port = 0;      // container port the probe dials
  bool required = true;
  profile::ProbeSpec probe;  // kind, path, expect_status, user, database; never a password
};

struct GatewayRoute {
  std::string prefix;   // "/api/"
  std::string service;  // for the 404 listing and metrics
  std::string host;
  int port = 0;
  bool strip_prefix = false;  // forward "/inference/v1/x" as "/v1/x"
};

struct GatewaySpec {
  int ttl_ms = 1000;
  int probe_timeout_ms = 500;
  int proxy_timeout_ms = 30000;
  std::vector<GatewayTarget> services;
  std::vector<GatewayRoute> routes;
};

void to_json(nlohmann::json& j, const GatewaySpec& spec);
// Throws UsageError naming the bad field.
void from_json(const nlohmann::json& j, GatewaySpec& spec);

// The env var's value, and back. Parsing throws UsageError ("BIODEV_GATEWAY_SPEC: ...").
std::string gateway_spec_to_string(const GatewaySpec& spec);
GatewaySpec gateway_spec_from_string(std::string_view text);

// Every service with a `ready` probe becomes a target (host = service name, port = the
// probe's container port, or the service's first container port when the probe names
// none); exec probes become tcp probes of that port, or are left out when there is no
// port. Routes come from the services' `routes` (port 0 = the target's port). The
// gateway service itself (`gateway_service`, when given) is left out. Pass the services
// as they will run, offline variants already applied.
GatewaySpec gateway_spec_from_profile(const profile::Profile& profile,
                                      const std::string& gateway_service = "");

}  // namespace biodev::serve
