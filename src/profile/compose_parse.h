// Interprets merged, interpolated compose Nodes as the Profile model (docs/compose.md).
// Used by compose_loader.cpp; split out so each part stays readable:
// compose_service.cpp (service keys), compose_service_io.cpp (ports, volumes, secrets),
// compose_top.cpp (top-level networks, volumes, secrets, configs, x-biodev).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "profile/node.h"
#include "profile/parse.h"
#include "profile/substitutes.h"

namespace biodev::profile {

struct ComposeParse {
  ParseContext ctx;
  std::vector<SubstituteRule> substitutes;  // top-level x-biodev.substitutes
  std::map<std::string, Pool> pools;        // top-level x-biodev.pools
  std::vector<std::string>* warnings = nullptr;
  void warn(const SourceLoc& loc, const std::string& message) const {
    warnings->push_back(loc.to_string() + ": " + message);
  }
};

// One service. Offline substitutes and healthcheck-derived readiness are applied.
Service parse_compose_service(const std::string& name, const Node& node, const SourceLoc& loc,
                              const ComposeParse& cp);

// Ports, volumes, tmpfs, secrets/configs grants of a service (compose_service_io.cpp).
std::vector<PortSpec> parse_compose_ports(const Node& n, Diagnostics& d);
std::vector<MountSpec> parse_compose_volumes(const Node& n, const ComposeParse& cp);
std::vector<MountSpec> parse_compose_tmpfs(const Node& n, Diagnostics& d);
// `secrets:` (targets under /run/secrets/) or `configs:` (targets under /).
std::vector<FileGrant> parse_grants(const Node& n, bool secrets, Diagnostics& d);

// Top level but services: name is the caller's. Reads x-biodev's substitutes and pools
// into `cp` and its exports into `out`.
void parse_compose_top(const Node& root, ComposeParse& cp, Profile& out);

}  // namespace biodev::profile
