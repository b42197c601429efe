// Path spelling shared across folders.
#pragma once

#include <filesystem>

namespace biodev {

// `p` lexically normal and without the trailing slash that "." or "dir/" leave:
// /work/app, not /work/app/ (whose filename() is ""). "/" stays "/".
inline std::filesystem::path normal_path(const std::filesystem::path& p) {
  std::filesystem::path n = p.lexically_normal();
  if (n.has_relative_path() && !n.has_filename()) n = n.parent_path();
  return n;
}

}  // namespace biodev
