// Removing a network whose containers have just been removed.
#pragma once

#include <chrono>
#include <string>

namespace biodev::docker {

class Client;

// Removes network `id` (a name or an id). The engine can refuse with "has active
// endpoints" for a moment after the last container on the network was removed, and it
// can keep an endpoint for a container that no longer exists (after an engine restart):
// the first is waited out, the second disconnected (force). A network still used by a
// container that exists after `patience` stays an EngineError (kConflict) naming it.
// Returns false when the network was already gone (404), true when this call removed it.
bool remove_network_when_free(Client& client, const std::string& id,
                              std::chrono::milliseconds patience = std::chrono::seconds(5));

}  // namespace biodev::docker
