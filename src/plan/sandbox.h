// Shared network sandboxes: services grouped into one network namespace per group (a
// pod in all but name). One sandbox container per group holds the group's published
// ports and every member's DNS names on each of the group's networks; members join it
// with NetworkMode container:<sandbox>, which spares the engine a network sandbox per
// container (the largest cost of a cold start).
//
// Grouping is pure and follows three rules: services on different sets of networks are
// never grouped (least-privilege tiers stay as the profile draws them), two services of
// a group never use the same container port (the next one starts another group), and a
// service that needs a namespace of its own (network_mode, a hostname, dns, extra_hosts,
// net.* sysctls, or another service joining its namespace) stays a container of its own.
// A group of one is no group: that service keeps its own sandbox.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "profile/model.h"

namespace biodev::plan {

struct SandboxGroup {
  std::string key;                    // "sandbox:postgres": the dev.biodev.service of the sandbox
  std::vector<std::string> members;   // profile order; the first names the group
  std::vector<std::string> networks;  // profile network names, the first member's order
};

struct SandboxGrouping {
  std::vector<SandboxGroup> groups;
  std::map<std::string, std::string> separate;  // service -> why it has a sandbox of its own
  // The group a service belongs to; null when it runs in its own sandbox.
  const SandboxGroup* group_of(const std::string& service) const;
  const SandboxGroup* find(const std::string& key) const;
  // One line per group, then one per separate service, in profile order; golden tests
  // compare this text.
  std::string to_string(const std::vector<std::string>& order) const;
};

// Groups the given services (already their effective variants), in the order given.
SandboxGrouping group_sandboxes(const std::vector<const profile::Service*>& services);
// Every service of the profile, as written (graph, lint: no images chosen).
SandboxGrouping group_sandboxes(const profile::Profile& p);

// "sandbox:postgres" -> "postgres"; "" when `service` names no sandbox.
std::string sandbox_first_member(const std::string& service);
bool is_sandbox_key(const std::string& service);

// The container ports a service listens on, as "5432/tcp": published, exposed and
// its readiness probe's port.
// An `expose` entry as the engine's port keys: "8000" -> 8000/tcp, "8000/udp" -> 8000/udp,
// "8000-8002" -> 8000/tcp 8001/tcp 8002/tcp.
std::vector<std::string> port_keys(const std::string& spec);

std::vector<std::string> container_ports(const profile::Service& s);

}  // namespace biodev::plan
