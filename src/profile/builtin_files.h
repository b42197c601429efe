// Built-in copies of the files the built-in profiles point at (init-scripts/,
// examples/), so `biodev up` works from any folder: a relative host path that does not
// exist in the project folder, but that biodev carries, resolves to an extracted copy
// under the cache ($XDG_CACHE_HOME/biodev/builtin/<version>/). A folder in the project
// always wins over the built-in copy.
#pragma once

#include <string>

namespace biodev::profile {

// `rel` is the path as written in the profile ("init-scripts/postgres",
// "./examples/api"). Returns the absolute path to use, lexically normal and without a
// trailing slash ("." is the project folder itself).
std::string resolve_host_path(const std::string& project_dir, const std::string& rel);

}  // namespace biodev::profile
