// What every verb shares: the global options, and the profile, engine client and
// reporter, each made on first use so that `biodev version` touches none of them.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "docker/client.h"
#include "profile/model.h"
#include "ui/reporter.h"

namespace biodev::cli {

struct GlobalOptions {
  std::string project;                 // -p / BIODEV_PROJECT
  std::string profile;                 // the first -f / BIODEV_PROFILE; "" = discovery
  std::vector<std::string> files;      // every -f, in order (several: compose files to merge)
  std::vector<std::string> compose_profiles;  // --compose-profile; empty = COMPOSE_PROFILES
  std::vector<std::string> env_files;  // --env-file
  std::string project_directory;       // --project-directory; "" = the first compose file's folder
  std::string context;                 // --context: a docker context; "" = the docker CLI's precedence
  bool json = false;
  bool verbose = false;
  bool no_color = false;
};

class Context {
 public:
  GlobalOptions options;

  // Loads once; throws ProfileError (exit 2). Prints the loader's warnings. Which input:
  // the -f values (compose files, or one biodev profile); without -f, COMPOSE_FILE, then
  // a compose file in this folder (or --project-directory) or a parent (compose's
  // lookup), then the built-in default profile.
  const profile::Profile& profile();
  // The compose files the profile comes from; empty when it is a biodev profile.
  std::vector<std::string> compose_files();
  // Where the lookup starts and relative paths resolve: --project-directory made
  // absolute (UsageError when it is not a folder), else the current folder.
  std::string lookup_dir() const;
  // The project name without requiring a loadable profile (down/status/logs must work
  // when the profile is broken): -p, BIODEV_PROJECT, the profile, the folder name.
  std::string project();
  // Connected and version-negotiated; throws EngineError(kUnreachable) -> exit 3.
  docker::Client& client();
  // Which engine (--context, DOCKER_HOST, DOCKER_CONTEXT, the current docker context, the
  // default socket, Podman's); throws EngineError(kUnreachable) for an unusable one.
  const docker::Endpoint& endpoint();
  ui::Reporter& reporter();
  const ui::ReporterOptions& reporter_options();

  // Set by SIGINT, SIGTERM and SIGHUP (a closed terminal); long operations poll it.
  static std::atomic<bool>& cancelled();
  // The exit code of a command the first of those signals interrupted: 128 + its
  // number (130 Ctrl-C, 129 SIGHUP, 143 SIGTERM); 130 when none came.
  static int interrupted_exit_code();
  static void install_signal_handlers();

 private:
  // Each made once, on first use, from whichever thread asks first: worker threads
  // (image builds, plan ops) report and call the engine too.
  std::once_flag profile_once_, client_once_, endpoint_once_, reporter_once_, reporter_options_once_;
  std::optional<docker::Endpoint> endpoint_;
  std::optional<profile::Profile> profile_;
  std::unique_ptr<docker::Client> client_;
  std::unique_ptr<ui::Reporter> reporter_;
  std::optional<ui::ReporterOptions> reporter_options_;
};

}  // namespace biodev::cli
