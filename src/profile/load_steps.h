// Steps both readers (biodev profiles in loader.cpp, compose files in
// compose_loader.cpp) run the same way: reading .env files, interpolating a Node tree,
// biodev's built-in variables and collecting the values to redact.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "profile/errors.h"
#include "profile/interpolate.h"
#include "profile/model.h"
#include "profile/node.h"

namespace biodev::profile {

std::optional<std::string> read_text_file(const std::string& path);

// Paths inside the project print relative to it ("profiles/dev.yaml:3:5").
std::string project_relative(const std::string& path, const std::string& project_dir);

// Reads KEY=VALUE lines of `path` into vars' .env layer. A missing file is an error at
// `where` when `required`; `as_written` is how the file named it ("" for --env-file).
void load_env_file(const std::string& path, const std::string& project_dir, const SourceLoc& where,
                   bool required, Variables& vars, const std::string& as_written = "");

// Interpolates every scalar of `n` in place; unset variables become warnings, errors
// go to `d`, referenced names to `used`.
void interpolate_tree(Node& n, const Variables& vars, Diagnostics& d,
                      std::vector<std::string>& warnings, std::set<std::string>& used);

// BIODEV_UID, BIODEV_GID, BIODEV_VERSION, BIODEV_PROJECT, BIODEV_PROJECT_DIR.
void set_builtin_vars(Variables& vars, const std::string& project, const std::string& project_dir);

// Fills p.secrets from .env values and secret-named environment variables.
void collect_secrets(const Variables& vars, Profile& p);

}  // namespace biodev::profile
