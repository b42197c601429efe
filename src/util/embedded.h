// Files compiled into the binary (profiles/*.yaml, images/**): see cmake/Embed.cmake.
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace biodev {

struct EmbeddedFile {
  std::string_view path;  // relative to the source tree, e.g. "profiles/default.yaml"
  std::string_view data;
};

// Sorted by path.
std::span<const EmbeddedFile> embedded_files();

// The embedded file at `path`, if any.
std::optional<std::string_view> embedded_file(std::string_view path);

}  // namespace biodev
