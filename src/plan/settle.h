// Stops and removals of this project's containers that a killed command sent and the
// engine is still carrying out. A snapshot taken meanwhile shows such a container
// running (or "removing"); planning on it would keep a container that is about to exit.
#pragma once

#include <chrono>

#include "docker/client.h"
#include "plan/state.h"

namespace biodev::plan {

// True when `observed` has a container of the project on its way down: state
// "removing", or running with a "kill" event (a stop's signal) in the engine's last
// minute of events and no "die", "start" or "destroy" after it.
bool has_stops_in_flight(docker::Client& client, const std::string& project, const ObservedState& observed);

// While has_stops_in_flight() (up to `limit`), waits and observes again; returns the
// snapshot to plan on.
ObservedState settle_stops_in_flight(docker::Client& client, const std::string& project, ObservedState observed,
                                     std::chrono::milliseconds limit = std::chrono::seconds(15));

}  // namespace biodev::plan
