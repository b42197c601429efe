// A count of the engine going away under this process, for commands that must tell a
// service that failed by itself from one the engine stopped.
#pragma once

namespace biodev::docker {

// How often, since the process started, the engine refused a connection or closed one
// it had kept alive (it does that only when it stops). A command whose operations
// failed while this grew saw the engine stop or restart under it.
long long engine_disconnects();

}  // namespace biodev::docker
