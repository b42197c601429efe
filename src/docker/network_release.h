// Removing a network whose containers have just been removed.
#pragma once

#include <chrono>
#include <string>

#include "docker/errors.h"

namespace biodev::docker {

class Client;

// The engine refuses to remove a network for endpoints whose containers are all gone,
// and forcing them off does not change its mind: Docker's count of a network's
// endpoints can drift above the endpoints it has (moby#42119), and only an engine
// restart recounts. Nothing biodev can do frees such a network; it is harmless to leave,
// and an up that wants the same network uses it as it is.
class NetworkKeptByEngine : public EngineError {
 public:
  NetworkKeptByEngine(std::string network, const std::string& message)
      : EngineError(ErrorKind::kConflict, 409, message), network_(std::move(network)) {}
  const std::string& network() const { return network_; }

 private:
  std::string network_;
};

// Removes network `id` (a name or an id). The engine can refuse with "has active
// endpoints" for a moment after the last container on the network was removed, and it
// can keep an endpoint for a container that no longer exists (after an engine restart):
// the first is waited out, the second disconnected (force). A network still used by a
// container that exists after `patience` stays an EngineError (kConflict) naming it; one
// the engine keeps with no container of its own left is NetworkKeptByEngine, after at
// most `patience` or two seconds, whichever is shorter. Returns false when the network
// was already gone (404), true when this call removed it.
bool remove_network_when_free(Client& client, const std::string& id,
                              std::chrono::milliseconds patience = std::chrono::seconds(5));

}  // namespace biodev::docker
