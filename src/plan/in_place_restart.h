// Services that `biodev watch` restarts in place (profile `watch:` with restart: process,
// the default): their container's first process is biodev-init (src/init/biodev_init.c),
// bind-mounted read-only from a file biodev writes on this machine, which runs the
// service's command as its child and starts it again on request. The container, its
// network sandbox and its mounts stay; only the process is new.
#pragma once

#include <string>
#include <vector>

#include "plan/state.h"
#include "profile/model.h"

namespace biodev::plan {

// Where biodev-init is in such a container.
inline constexpr const char* kInitTarget = "/.biodev-init";

// The file on this machine that is mounted there: /tmp/biodev-init-<euid>/biodev-init-<sha>,
// named by the digest of its bytes, so that every checkout's binary mounts its own.
const std::string& init_host_path();

// Writes init_host_path() when it is missing (0755, atomically). Throws Error.
void materialize_init();

// The entrypoint of the service's container: biodev-init, then what the container would
// run without it (the service's entrypoint, else the image's; the service's command, else
// the image's unless the service sets an entrypoint, as the engine merges them). The
// container's Cmd is left empty.
std::vector<std::string> in_place_entrypoint(const profile::Service& s, const ImageChoice& image);

// The command `biodev watch` execs in the container to restart the service's process.
std::vector<std::string> in_place_restart_command(const std::string& service);

}  // namespace biodev::plan
