// Stops and removals of this project's containers that a killed command sent and the
// engine is still carrying out. A snapshot taken meanwhile shows such a container
// running (or "removing"); planning on it would keep a container that is about to exit.
#pragma once

#include <chrono>
#include <set>
#include <string>

#include "docker/client.h"
#include "plan/state.h"

namespace biodev::plan {

// True when `observed` has a container of the project on its way down: state
// "removing", or running with a "kill" event (a stop's signal) or a "die" as its last
// event of the engine's last minute (no "start" or "destroy" after it). A container
// listed running after its "die" is a snapshot the engine has not brought up to date
// yet: under load the list shows it running for a second or more after it died.
bool has_stops_in_flight(docker::Client& client, const std::string& project, const ObservedState& observed);

// While has_stops_in_flight() (up to `limit`), waits and observes again; returns the
// snapshot to plan on.
ObservedState settle_stops_in_flight(docker::Client& client, const std::string& project, ObservedState observed,
                                     std::chrono::milliseconds limit = std::chrono::seconds(15));

// Of `ids` (containers of the project), those stopped through the engine since they
// last started, or at any time since `since`: a "kill" event with a stop's signal (a
// stop request of a killed `down` or `restart` that the engine carried out while this
// command ran, or a `docker stop` / `docker kill`). The second counts a restart the
// engine carried out meanwhile (kill, then start). A crash or the OOM killer leaves no
// such event. Looks at the engine's last five minutes of events.
std::set<std::string> stopped_through_engine(docker::Client& client, const std::string& project,
                                             const std::set<std::string>& ids,
                                             std::chrono::system_clock::time_point since);

}  // namespace biodev::plan
