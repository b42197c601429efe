// Steps shared by the offline and runtime image builds (builder.cpp, runtime_image.cpp).
// Internal to src/images.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "images/builder.h"

namespace biodev::images::detail {

using Clock = std::chrono::steady_clock;

// A temp file or directory, removed (recursively) when this goes out of scope.
class TempPath {
 public:
  TempPath() = default;
  explicit TempPath(std::string path) : path_(std::move(path)) {}
  TempPath(TempPath&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  TempPath& operator=(TempPath&&) = delete;
  TempPath(const TempPath&) = delete;
  ~TempPath();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A new empty file (or directory) named <dir>/<prefix>XXXXXX<suffix>; creates `dir`.
TempPath make_temp_file(const std::string& dir, const std::string& prefix,
                        const std::string& suffix);
TempPath make_temp_dir(const std::string& dir, const std::string& prefix);

void mkdirs(const std::string& dir);

// Throws Error("... cancelled") when the options' cancel flag is set.
void check_cancel(const BuildOptions& options);

// When `image` exists, is labelled with `hash` and !options.force: the finished cached
// result. Otherwise nullopt, with the current image id (if any) in `previous_id`.
std::optional<BuildResult> current_image(docker::Client& client, const std::string& image,
                                         const std::string& hash, const BuildOptions& options,
                                         Clock::time_point started, std::string& previous_id);

// POST /build of `context_path` as `image` with the biodev labels; engine output goes
// to progress("build", line). Removes the image the tag named before, when it is left
// untagged and unused. Fills image_id, size and elapsed.
BuildResult engine_build(docker::Client& client, const std::string& context_path,
                         const std::string& image, const std::string& hash,
                         const std::string& previous_id, const BuildOptions& options,
                         const BuildProgress& progress, Clock::time_point started);

}  // namespace biodev::images::detail
