// The `biodev run` side of the reaper: starts the reaper container for a project and
// holds a TCP connection to it for as long as this process lives. If the process dies
// (even kill -9), the kernel closes the connection and the reaper removes the project.
#pragma once

#include <string>

#include "cli/context.h"
#include "docker/client.h"
#include "util/unique_fd.h"

namespace biodev::cli {

class ReaperGuard {
 public:
  // Starts `<project>-reaper` from biodev/runtime with the engine's socket mounted (the
  // engine host's own socket for an engine elsewhere) and connects to it, at the engine's
  // reach host. Does nothing when !reaper_enabled(). Throws Error when the reaper cannot
  // be started or reached.
  ReaperGuard(Context& ctx, const std::string& project);
  ~ReaperGuard();
  ReaperGuard(const ReaperGuard&) = delete;
  ReaperGuard& operator=(const ReaperGuard&) = delete;

  // Tells the reaper to leave the project alone (--keep), then removes it.
  void keep();
  // The project is down: removes the reaper container and returns once the engine no
  // longer has it, so nothing of the run outlives the command. Falls back to release()
  // when the engine does not answer.
  void dismiss();
  // Lets the reaper go; it reaps whatever is left of the project (after its linger).
  void release();

 private:
  docker::Client* client_ = nullptr;
  std::string id_;
  UniqueFd fd_;
};

// BIODEV_REAPER=off (or 0, false) turns the reaper off, for engines that refuse to mount
// their socket into a container: then a killed `biodev run` leaves its stack behind.
bool reaper_enabled();

}  // namespace biodev::cli
