// `biodev serve reaper`: guaranteed teardown for `biodev run`, the way Testcontainers'
// Ryuk works. It runs in a container with the engine's socket mounted; `biodev run`
// connects to it over TCP and says which project to guard:
//
//   project=<name>\n     guard this project (several lines, several projects)
//   keep\n               the caller wants the stack left alone (--keep)
//
// When every connection is gone (biodev finished, crashed, or was kill -9'd) and none
// comes back within `linger`, the reaper removes every container, network and volume
// labelled dev.biodev.project=<name> (unless told to keep), then exits; its own
// container is removed by the engine (AutoRemove). If nobody connects within
// `connect_timeout` it reaps what it was told about at start (BIODEV_REAPER_PROJECT).
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace biodev::serve {

struct ReaperConfig {
  int port = 8080;
  std::string socket = "/var/run/docker.sock";
  std::vector<std::string> projects;  // from BIODEV_REAPER_PROJECT
  std::chrono::milliseconds linger{1000};
  std::chrono::milliseconds connect_timeout{60000};
  static ReaperConfig from_env();
};

int run_reaper(const ReaperConfig& config);

// Removes every container (forced, with anonymous volumes), network and volume
// labelled with the project, except reaper containers. Retries networks that are still
// in use for a few seconds. Returns a one-line summary.
std::string reap_project(const std::string& socket_path, const std::string& project);

}  // namespace biodev::serve
