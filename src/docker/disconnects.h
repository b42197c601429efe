// A count of the engine going away under this process, for commands that must tell a
// service that failed by itself from one the engine stopped.
#pragma once

#include <string>
#include <vector>

namespace biodev::docker {

// How often, since the process started, the engine refused a connection or closed one
// it had kept alive (it does that only when it stops). A command whose operations
// failed while this grew saw the engine stop or restart under it.
long long engine_disconnects();

class Client;

// After operations failed: did the engine stop or restart under them since
// engine_disconnects() was `before`? Asks the engine once more (a _ping), since an
// engine going down may answer the last calls with errors ("transport is closing")
// before it closes its connections; any `errors` naming containerd's closing count too.
bool engine_went_away(Client& client, long long before, const std::vector<std::string>& errors = {});

// What a command says then: "the Docker engine stopped or restarted during `down` (it
// dropped its connections); " and `what_to_do`.
inline std::string engine_went_away_message(const std::string& command, const std::string& what_to_do) {
  return "the Docker engine stopped or restarted during `" + command + "` (it dropped its connections); " +
         what_to_do;
}

}  // namespace biodev::docker
