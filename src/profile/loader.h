// Finds a profile by name or path, applies `extends:` overlays, reads .env files,
// interpolates ${VAR}s, parses and validates. The one entry point of src/profile/.
//
// Name resolution: "NAME" -> ./profiles/NAME.yaml in the project folder, else the copy
// compiled into the binary. Anything with a '/' or a .yaml/.yml suffix is a path.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "profile/interpolate.h"
#include "profile/model.h"

namespace biodev::profile {

struct LoadOptions {
  std::string profile = "default";     // name or path
  std::string project;                 // -p; empty = BIODEV_PROJECT, profile, folder name
  std::string project_dir;             // empty = current directory
  std::vector<std::string> env_files;  // --env-file; empty = <project_dir>/.env when present
  std::optional<Variables> vars;       // empty = the process environment
};

// Throws ProfileError (exit 2) listing every problem as file:line:col: message.
Profile load_profile(const LoadOptions& options);

// Like load_profile, but the top-level profile is `text`, called `display_name` in
// diagnostics, instead of the file options.profile names (which still names the
// profile). Its relative extends: resolve against the project folder.
Profile load_profile_text(std::string_view text, const std::string& display_name,
                          const LoadOptions& options);

// Profile names this folder can use: ./profiles/*.yaml plus the built-in ones.
std::vector<std::string> available_profiles(const std::string& project_dir);

// Lowercases and replaces characters Docker names reject; "" becomes "biodev".
std::string sanitize_project_name(const std::string& raw);
// True when `name` is already a valid project name.
bool is_valid_project_name(const std::string& name);

// The uid:gid that should own files biodev creates for containers (.data/ folders):
// the invoking user (SUDO_UID when run through sudo), or 65534 when that is root,
// because servers such as Postgres refuse to run as root.
std::pair<int, int> data_owner();

}  // namespace biodev::profile
