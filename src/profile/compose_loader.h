// Compose files as an input: finds them as docker compose does, merges several
// (`-f a -f b`, COMPOSE_FILE), resolves include: and extends:, interpolates, filters
// by compose profiles and reads the result into the same Profile biodev's own
// profiles produce (loader.h). Schema and differences from compose: docs/compose.md.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "profile/interpolate.h"
#include "profile/model.h"

namespace biodev::profile {

struct ComposeOptions {
  std::vector<std::string> files;            // in merge order; relative to the current folder
  std::string project;                       // -p / BIODEV_PROJECT; "" = compose's rules
  std::string project_dir;                   // "" = the folder of the first file
  std::vector<std::string> env_files;        // --env-file; empty = <project_dir>/.env if present
  std::vector<std::string> active_profiles;  // --compose-profile / COMPOSE_PROFILES; "*" = all
  std::optional<Variables> vars;             // empty = the process environment
};

// Throws ProfileError (exit 2) listing every problem as file:line:col: message.
Profile load_compose(const ComposeOptions& options);

// Compose's own lookup: compose.yaml, compose.yml, docker-compose.yaml,
// docker-compose.yml in `dir`, else in its parents. The file found, followed by its
// override file (compose.override.yaml, ...) when one is beside it; empty if none.
std::vector<std::string> find_compose_files(const std::string& dir);

// True for the names compose uses: (docker-)compose[.anything].y(a)ml.
bool is_compose_file_name(const std::string& path);

// Whether `ref` (a -f value) names a compose file rather than a biodev profile: a path
// named like a compose file, or a .yaml/.yml file that uses compose keys
// (environment, volumes, build, name, include, ...) and no key only biodev profiles
// have (project, extends, pools, exports; env, mounts, ready, seed, ... in a service).
bool is_compose_file(const std::string& ref);

// Compose's project name from a folder name: lowercased, characters other than
// [a-z0-9_-] dropped, leading characters other than a letter or digit dropped.
std::string compose_project_name(const std::string& folder);

}  // namespace biodev::profile
