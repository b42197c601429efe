#pragma once
// Host ports an `up` is about to publish that a program on this machine already holds.
// The engine finds out only when it starts the container, after the containers before
// it in the plan run and the network exists; looking first leaves nothing half made.
// The engine's own refusal stays the last word (a port can be taken in between, and
// with the userland proxy off another stack's ports are not visible here).
#include <string>
#include <vector>

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

}  // namespace biodev::plan
