#pragma once
// Host ports an `up` is about to publish that a program on this machine already holds.
// The engine finds out only when it starts the container, after the containers before
// it in the plan run and the network exists; looking first leaves nothing half made.
// The engine's own refusal stays the last word (a port can be taken in between, and
// with the userland proxy off another stack's ports are not visible here).
#include <string>
#include <vector>

#include "docker/client.h"
#include "plan/desired.h"
#include "plan/state.h"
#include "profile/model.h"

namespace biodev::plan {

struct HostPort {
  std::string service;
  profile::PortSpec port;
};

// The fixed host ports (not 0) of the services this `up` brings up, leaving out those
// a container of this project publishes now: that container keeps them, or frees them
// when it is replaced.
std::vector<HostPort> host_ports_to_check(const profile::Profile& p, const DesiredOptions& o,
                                          const ObservedState& observed);

// True when binding host_ip:host_port fails because something holds it (a listener, a
// bound UDP socket). Any other outcome (a free port, an address not on this machine, a
// privileged port) is false: the engine decides those.
bool host_port_in_use(const profile::PortSpec& port);

// Throws Error (exit 1) naming every port in use, with its file:line and service.
void check_host_ports(const std::vector<HostPort>& ports);

// True when a container's inspect document binds `port` on the host
// (HostConfig.PortBindings): what it claims before it runs, or while the engine starts it.
bool claims_host_port(const docker::ContainerInfo& info, const profile::PortSpec& port);

// The check an `up` runs: the ports of host_ports_to_check() in use must be held by no
// one, or by this project's own containers. A busy port that a running container of the
// project claims is its own (the container list can lag behind the engine). One that a
// created or stopped container of the project claims may be a start still in flight
// (sent by a killed `up` or `restart`): it is waited for (an inspect returns once the
// engine has started it) and `observed` is taken again, for up to 1.5 s. Ports busy
// with no running claim of the project after that are check_host_ports()'s error.
void check_host_ports(docker::Client& client, const std::string& project,
                      const profile::Profile& p, const DesiredOptions& o, ObservedState& observed);

}  // namespace biodev::plan
