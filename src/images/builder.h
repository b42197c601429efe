// Building biodev's own images with no registry: the offline recipes (Debian packages
// via mmdebstrap, then Engine POST /build) and biodev/runtime (this very binary).
//
// Every image built here carries two labels: dev.biodev.managed=true and
// dev.biodev.recipe=<hash>. A build first inspects the tag; when the label matches the
// current hash nothing else happens (a cache hit costs one Engine call). Otherwise:
//
//   offline recipe: rootfs  <cache>/rootfs/<hash>.tar, made by mmdebstrap unless present
//                   context Dockerfile + the folder's files + rootfs.tar, in a temp file
//                   build   POST /build -t <image> with the labels; output to `progress`
//   runtime image:  context Dockerfile + rootfs.tar holding /usr/local/bin/biodev, the
//                   shared libraries `ldd` names (loader included), /etc/passwd and
//                   /etc/group with nobody (65534), /tmp (1777); USER 65534:65534
//
// <cache> is $XDG_CACHE_HOME/biodev, else ~/.cache/biodev. Temp files are removed on
// every path out. Failures throw Error: mmdebstrap missing (with the apt-get line),
// mmdebstrap failing (with its last lines of output), a cancelled build; Engine
// failures arrive as docker::EngineError with the engine's message.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "docker/client.h"
#include "images/recipe.h"

namespace biodev::images {

inline constexpr const char* kRecipeLabel = "dev.biodev.recipe";
inline constexpr const char* kManagedLabel = "dev.biodev.managed";

struct BuildOptions {
  bool force = false;           // build even when the image is current
  bool refresh_rootfs = false;  // run mmdebstrap even when the rootfs is cached
  std::string cache_dir;        // "" = $XDG_CACHE_HOME/biodev or ~/.cache/biodev
  std::string mirror = "http://deb.debian.org/debian";
  std::string security_mirror = "http://deb.debian.org/debian-security";
  // Where mmdebstrap unpacks the chroot. "" = /dev/shm when it is a tmpfs with room
  // (dpkg on tmpfs is about twice as fast), else $TMPDIR, else /tmp.
  std::string work_dir;
  const std::atomic<bool>* cancel = nullptr;  // set -> stop mmdebstrap / the build
  std::chrono::minutes mmdebstrap_timeout{30};
  // Runtime image only: the binary to package ("" = /proc/self/exe) and the tag's
  // version ("" = this binary's version).
  std::string binary_path;
  std::string version;
};

// Called with a phase ("check", "rootfs", "context", "build") and one line of output.
using BuildProgress = std::function<void(std::string_view phase, std::string_view line)>;

struct BuildResult {
  std::string image;           // "biodev/postgres:15"
  std::string hash;            // the dev.biodev.recipe label value
  std::string image_id;        // "sha256:..."
  bool cached = false;         // the image was already current; nothing was built
  bool rootfs_cached = false;  // offline recipes: the rootfs tarball was reused
  long long size = 0;          // image size in bytes, as the engine reports it
  std::chrono::milliseconds elapsed{0};
};

BuildResult build_offline_image(docker::Client& client, const Recipe& recipe,
                                const BuildOptions& options, const BuildProgress& progress = {});

BuildResult build_runtime_image(docker::Client& client, const BuildOptions& options,
                                const BuildProgress& progress = {});

// "biodev/runtime:<version>"; "" = this binary's version.
std::string runtime_image_tag(std::string_view version = "");

// The resolved cache directory (not created).
std::string cache_root(const BuildOptions& options);

// The mmdebstrap command line for `recipe`: `recipe_dir` holds the folder's files on
// the host (synced to /tmp/biodev-recipe in the chroot), `output` is the tarball.
std::vector<std::string> mmdebstrap_argv(const Recipe& recipe, const BuildOptions& options,
                                         const std::string& recipe_dir, const std::string& output,
                                         const std::string& host_ca = "");

// The files `ldd` output names: every "=> /path" and the loader's absolute path, in
// order, without duplicates. Throws Error on "not found" libraries.
std::vector<std::string> parse_ldd(std::string_view output);

}  // namespace biodev::images
