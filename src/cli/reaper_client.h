// The `biodev run` side of the reaper: starts the reaper container for a project and
// holds a TCP connection to it for as long as this process lives. If the process dies
// (even kill -9), the kernel closes the connection and the reaper removes the project.
#pragma once

#include <string>

#include "cli/context.h"

namespace biodev::cli {

class ReaperGuard {
 public:
  // Starts `<project>-reaper` from biodev/runtime with the engine's socket mounted and
  // connects to it. Throws Error when the reaper cannot be started or reached.
  ReaperGuard(Context& ctx, const std::string& project);
  ~ReaperGuard();
  ReaperGuard(const ReaperGuard&) = delete;
  ReaperGuard& operator=(const ReaperGuard&) = delete;

  // Tells the reaper to leave the project alone (--keep), then lets it go.
  void keep();
  // Lets the reaper go; it reaps whatever is left of the project.
  void release();

 private:
  int fd_ = -1;
};

// The host path of the engine's unix socket, or "" when DOCKER_HOST is not a unix
// socket (then there is no reaper: a socket cannot be mounted into it).
std::string engine_socket_path();

}  // namespace biodev::cli
