#include "util/embedded.h"

#include <algorithm>

namespace biodev {

std::optional<std::string_view> embedded_file(std::string_view path) {
  auto files = embedded_files();
  auto it = std::lower_bound(files.begin(), files.end(), path,
                             [](const EmbeddedFile& f, std::string_view p) { return f.path < p; });
  if (it == files.end() || it->path != path) return std::nullopt;
  return it->data;
}

}  // namespace biodev
