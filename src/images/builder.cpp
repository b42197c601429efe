#include "images/builder.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>

#include "images/build_steps.h"
#include "util/error.h"
#include "util/strings.h"
#include "util/subprocess.h"
#include "util/tar.h"
#include "util/unique_fd.h"

namespace biodev::images {
namespace fs = std::filesystem;
using detail::Clock;

namespace detail {

TempPath::~TempPath() {
  if (path_.empty()) return;
  std::error_code ec;
  fs::remove_all(path_, ec);  // best effort: a leftover temp file must not mask the result
}

void mkdirs(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error(ExitCode::kFailed, "cannot create " + dir + ": " + ec.message());
}

TempPath make_temp_file(const std::string& dir, const std::string& prefix,
                        const std::string& suffix) {
  mkdirs(dir);
  std::string tmpl = dir + "/" + prefix + "XXXXXX" + suffix;
  UniqueFd fd(mkostemps(tmpl.data(), static_cast<int>(suffix.size()), O_CLOEXEC));
  if (!fd)
    throw Error(ExitCode::kFailed, "cannot create a file in " + dir + ": " + std::strerror(errno));
  return TempPath(tmpl);
}

TempPath make_temp_dir(const std::string& dir, const std::string& prefix) {
  mkdirs(dir);
  std::string tmpl = dir + "/" + prefix + "XXXXXX";
  if (!mkdtemp(tmpl.data())) {
    throw Error(ExitCode::kFailed,
                "cannot create a directory in " + dir + ": " + std::strerror(errno));
  }
  return TempPath(tmpl);
}

void check_cancel(const BuildOptions& options) {
  if (options.cancel && options.cancel->load()) {
    throw Error(ExitCode::kFailed, "image build cancelled");
  }
}

std::optional<BuildResult> current_image(docker::Client& client, const std::string& image,
                                         const std::string& hash, const BuildOptions& options,
                                         Clock::time_point started, std::string& previous_id) {
  std::optional<docker::ImageInfo> info = client.inspect_image(image);
  previous_id = info ? info->id : "";
  if (!info || options.force) return std::nullopt;
  auto label = info->labels.find(kRecipeLabel);
  if (label == info->labels.end() || label->second != hash) return std::nullopt;
  BuildResult r;
  r.image = image;
  r.hash = hash;
  r.image_id = info->id;
  r.cached = true;
  r.size = info->size;
  r.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  return r;
}

BuildResult engine_build(docker::Client& client, const std::string& context_path,
                         const std::string& image, const std::string& hash,
                         const std::string& previous_id, const BuildOptions& options,
                         const BuildProgress& progress, Clock::time_point started) {
  docker::BuildOptions build;
  build.labels = {{kRecipeLabel, hash}, {kManagedLabel, "true"}};
  auto sink = [&](const docker::BuildOutput& out) {
    // Throwing out of the stream drops the connection, which makes the engine stop.
    check_cancel(options);
    const std::string& text = out.status.empty() ? out.stream : out.status;
    for (const std::string& line : split(text, '\n')) {
      if (progress && !trim(line).empty()) progress("build", trim(line));
    }
  };
  BuildResult r;
  r.image = image;
  r.hash = hash;
  r.image_id = client.build_image(context_path, image, sink, build);
  if (!previous_id.empty() && previous_id != r.image_id) {
    // The old image lost its tag to the new one. biodev's images that no tag names any
    // more go, this one and any a container still used at an earlier rebuild; one that a
    // tag of the user's own names, or that a container uses, stays.
    try {
      client.prune_images({{"dangling", {"true"}}, {"label", {std::string(kManagedLabel) + "=true"}}});
    } catch (const std::exception&) {
    }
  }
  if (auto info = client.inspect_image(image)) r.size = info->size;
  r.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  return r;
}

}  // namespace detail

namespace {

constexpr const char* kChrootRecipeDir = "/tmp/biodev-recipe";
constexpr const char* kChrootHostCa = "/tmp/biodev-host-ca.crt";
constexpr const char* kHostCa = "/etc/ssl/certs/ca-certificates.crt";
constexpr long long kWorkDirRoom = 3LL << 30;  // the largest chroot unpacks to ~1 GiB
constexpr long kTmpfsMagic = 0x01021994;

bool has_updates_suites(const std::string& suite) {
  return suite != "sid" && suite != "unstable" && suite != "experimental";
}

// The chroot is written and deleted file by file: on tmpfs that takes half the time.
std::string work_dir(const BuildOptions& options) {
  if (!options.work_dir.empty()) return options.work_dir;
  struct statfs st;
  if (statfs("/dev/shm", &st) == 0 && static_cast<long>(st.f_type) == kTmpfsMagic &&
      static_cast<long long>(st.f_bavail) * st.f_bsize >= kWorkDirRoom &&
      access("/dev/shm", W_OK | X_OK) == 0) {
    return "/dev/shm";
  }
  const char* tmp = std::getenv("TMPDIR");
  return tmp && *tmp ? tmp : "/tmp";
}

// The recipe folder on the host, for mmdebstrap's sync-in. *.sh files are executable.
void write_recipe_dir(const Recipe& recipe, const std::string& dir) {
  for (const auto& [rel, data] : recipe.files) {
    fs::path p = fs::path(dir) / rel;
    detail::mkdirs(p.parent_path().string());
    std::ofstream out(p, std::ios::binary);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    if (!out) throw Error(ExitCode::kFailed, "cannot write " + p.string());
    out.close();
    chmod(p.c_str(), ends_with(rel, ".sh") ? 0755 : 0644);
  }
}

[[noreturn]] void mmdebstrap_failed(const Recipe& recipe, const std::string& why,
                                    const std::deque<std::string>& tail) {
  std::string msg = "building the rootfs of " + recipe.image + ": " + why;
  if (!tail.empty()) msg += "; its last output:\n  " + join({tail.begin(), tail.end()}, "\n  ");
  throw Error(ExitCode::kFailed, msg);
}

// Runs mmdebstrap into `output`, streaming its lines to progress("rootfs", ...).
void run_mmdebstrap(const Recipe& recipe, const BuildOptions& options, const std::string& output,
                    const BuildProgress& progress) {
  if (!find_executable("mmdebstrap")) {
    throw Error(ExitCode::kFailed,
                "mmdebstrap is not installed; biodev needs it to build " + recipe.image +
                    " from Debian packages. Install it with: sudo apt-get install mmdebstrap");
  }
  std::string work = work_dir(options);
  detail::TempPath recipe_dir = detail::make_temp_dir(work, "biodev-recipe-");
  write_recipe_dir(recipe, recipe_dir.path());
  std::string host_ca = access(kHostCa, R_OK) == 0 ? kHostCa : "";

  SubprocessOptions run;
  run.argv = mmdebstrap_argv(recipe, options, recipe_dir.path(), output, host_ca);
  run.env = {{"TMPDIR", work}, {"LC_ALL", "C.UTF-8"}};
  run.cancel = options.cancel;
  run.deadline = Clock::now() + options.mmdebstrap_timeout;
  run.kill_grace = std::chrono::seconds(30);  // it unmounts and deletes its chroot on TERM
  std::deque<std::string> tail;
  SubprocessResult r = run_subprocess(run, [&](OutputStream, std::string_view line) {
    if (line.empty()) return;
    tail.emplace_back(line);
    if (tail.size() > 15) tail.pop_front();
    if (progress) progress("rootfs", line);
  });
  if (r.cancelled) throw Error(ExitCode::kFailed, "image build cancelled");
  if (r.timed_out) {
    mmdebstrap_failed(recipe,
                      "mmdebstrap took longer than " +
                          std::to_string(options.mmdebstrap_timeout.count()) + " minutes",
                      tail);
  }
  if (r.exit_code != 0) {
    mmdebstrap_failed(recipe, "mmdebstrap failed (exit " + std::to_string(r.exit_code) + ")", tail);
  }
}

// Rootfs tarballs of recipes edited since, and leftovers of interrupted runs, would
// pile up (100-200 MB each): drop those unused for a month. Reuse refreshes the mtime.
void prune_rootfs_cache(const std::string& dir, const std::string& keep) {
  constexpr auto kUnused = std::chrono::hours(24 * 30);
  std::error_code ec;
  auto now = fs::file_time_type::clock::now();
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    std::string path = e.path().string();
    if (path == keep || e.path().extension() != ".tar") continue;
    auto mtime = fs::last_write_time(e.path(), ec);
    if (ec || now - mtime < kUnused) continue;
    fs::remove(e.path(), ec);
    std::string stem = e.path().stem().string();
    if (stem.find('.') == std::string::npos) fs::remove(fs::path(dir) / (stem + ".lock"), ec);
  }
}

// The cached rootfs tarball for the recipe, made now when missing. A lock file keeps
// two biodev processes from running mmdebstrap for the same recipe at once.
std::string ensure_rootfs(const Recipe& recipe, const BuildOptions& options,
                          const BuildProgress& progress, bool& cached) {
  std::string dir = cache_root(options) + "/rootfs";
  detail::mkdirs(dir);
  std::string path = dir + "/" + recipe.hash + ".tar";
  // Closing the file (when `lock` goes) drops the flock.
  UniqueFd lock(
      open((dir + "/" + recipe.hash + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!lock) throw Error(ExitCode::kFailed, "cannot lock " + dir + ": " + std::strerror(errno));
  for (bool said = false; flock(lock.get(), LOCK_EX | LOCK_NB) != 0; said = true) {
    detail::check_cancel(options);
    if (progress && !said) progress("rootfs", "waiting for another biodev building this rootfs");
    usleep(500 * 1000);
  }
  cached = !options.refresh_rootfs && access(path.c_str(), R_OK) == 0;
  if (cached) {
    utimensat(AT_FDCWD, path.c_str(), nullptr, 0);  // in use: keep it from pruning
    if (progress) progress("rootfs", "using cached " + path);
    return path;
  }
  // mmdebstrap picks the compressor from the extension: keep ".tar" last.
  detail::TempPath partial = detail::make_temp_file(dir, recipe.hash + ".partial-", ".tar");
  run_mmdebstrap(recipe, options, partial.path(), progress);
  if (rename(partial.path().c_str(), path.c_str()) != 0) {
    throw Error(ExitCode::kFailed, "cannot rename into " + path + ": " + std::strerror(errno));
  }
  prune_rootfs_cache(dir, path);
  return path;
}

void write_context(const Recipe& recipe, const std::string& rootfs, const std::string& path) {
  TarWriter tar(path);
  for (const auto& [rel, data] : recipe.files) {
    bool executable = ends_with(rel, ".sh") || ends_with(rel, ".so");  // Redis loads only executable modules
    tar.add_file(rel, data, executable ? 0755 : 0644);
  }
  tar.add_file_from("rootfs.tar", rootfs, 0644);
  tar.finish();
}

}  // namespace

std::string cache_root(const BuildOptions& options) {
  if (!options.cache_dir.empty()) return options.cache_dir;
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg && xdg[0] == '/') return std::string(xdg) + "/biodev";
  const char* home = std::getenv("HOME");
  if (home && home[0] == '/') return std::string(home) + "/.cache/biodev";
  return "/tmp/biodev-cache-" + std::to_string(getuid());
}

std::vector<std::string> mmdebstrap_argv(const Recipe& recipe, const BuildOptions& options,
                                         const std::string& recipe_dir, const std::string& output,
                                         const std::string& host_ca) {
  std::vector<std::string> a = {
      "mmdebstrap", "--variant=minbase", "--format=tar",
      "--aptopt=APT::Install-Recommends \"false\"", "--aptopt=APT::Install-Suggests \"false\"",
      // A throwaway chroot: no fsync per file.
      "--dpkgopt=force-unsafe-io",
      // Documentation and translations are most of a minimal system's size.
      "--dpkgopt=path-exclude=/usr/share/doc/*",
      "--dpkgopt=path-include=/usr/share/doc/*/copyright",
      "--dpkgopt=path-exclude=/usr/share/man/*", "--dpkgopt=path-exclude=/usr/share/info/*",
      "--dpkgopt=path-exclude=/usr/share/locale/*",
      "--dpkgopt=path-include=/usr/share/locale/locale.alias",
      "--dpkgopt=path-exclude=/usr/share/lintian/*", "--dpkgopt=path-exclude=/usr/share/i18n/*",
      // Sets up merged /usr itself, so the usrmerge package (and Perl) stay out.
      "--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr",
      "--include=" + join(recipe.packages, ",")};
  std::string env = std::string("/usr/bin/env BIODEV_RECIPE_DIR=") + kChrootRecipeDir;
  a.push_back(std::string("--essential-hook=mkdir -p \"$1") + kChrootRecipeDir + "\"");
  a.push_back("--essential-hook=sync-in " + shell_quote(recipe_dir) + " " + kChrootRecipeDir);
  if (!recipe.prepare.empty()) {
    a.push_back("--essential-hook=chroot \"$1\" " + env + " /bin/sh -ec " +
                shell_quote(recipe.prepare));
  }
  if (!host_ca.empty()) {
    // Downloads made by the customize script trust what the host trusts.
    a.push_back("--customize-hook=upload " + shell_quote(host_ca) + " " + kChrootHostCa);
    env += std::string(" BIODEV_HOST_CA=") + kChrootHostCa;
  }
  if (!recipe.customize.empty()) {
    a.push_back("--customize-hook=chroot \"$1\" " + env + " /bin/sh -ec " +
                shell_quote(recipe.customize));
  }
  a.push_back(recipe.suite);
  a.push_back(output);
  a.push_back("deb " + options.mirror + " " + recipe.suite + " main");
  if (has_updates_suites(recipe.suite)) {
    a.push_back("deb " + options.mirror + " " + recipe.suite + "-updates main");
    a.push_back("deb " + options.security_mirror + " " + recipe.suite + "-security main");
  }
  return a;
}

BuildResult build_offline_image(docker::Client& client, const Recipe& recipe,
                                const BuildOptions& options, const BuildProgress& progress) {
  Clock::time_point started = Clock::now();
  if (progress) progress("check", "image " + recipe.image + " recipe " + recipe.hash.substr(0, 12));
  std::string previous_id;
  if (auto done =
          detail::current_image(client, recipe.image, recipe.hash, options, started, previous_id)) {
    return *done;
  }
  bool rootfs_cached = false;
  std::string rootfs = ensure_rootfs(recipe, options, progress, rootfs_cached);
  detail::check_cancel(options);

  if (progress) progress("context", "writing the build context");
  detail::TempPath context =
      detail::make_temp_file(cache_root(options) + "/tmp", "context-" + recipe.name + "-", ".tar");
  write_context(recipe, rootfs, context.path());
  detail::check_cancel(options);

  BuildResult r = detail::engine_build(client, context.path(), recipe.image, recipe.hash,
                                       previous_id, options, progress, started);
  r.rootfs_cached = rootfs_cached;
  return r;
}

}  // namespace biodev::images
