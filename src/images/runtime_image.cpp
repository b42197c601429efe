// biodev/runtime:<version>: this binary and the shared libraries it loads, on scratch.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include "images/build_steps.h"
#include "images/builder.h"
#include "util/crypto.h"
#include "util/error.h"
#include "util/libpq_shim.h"
#include "util/strings.h"
#include "util/subprocess.h"
#include "util/tar.h"
#include "util/version.h"

namespace biodev::images {
namespace fs = std::filesystem;
using detail::Clock;

namespace {

// Bump when the image layout below changes, so existing runtime images stop matching.
constexpr std::string_view kFormat = "biodev-runtime/2";  // 2: libpq and its libraries added by hand

constexpr std::string_view kPasswd =
    "root:x:0:0:root:/root:/usr/sbin/nologin\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
constexpr std::string_view kGroup = "root:x:0:\nnogroup:x:65534:\n";
// Without this file glibc asks DNS before /etc/hosts, and "localhost" goes to the
// engine's resolver.
constexpr std::string_view kNsswitch = "passwd: files\ngroup: files\nhosts: files dns\n";
constexpr std::string_view kDockerfile =
    "FROM scratch\n"
    "ADD rootfs.tar /\n"
    "USER 65534:65534\n"
    "ENTRYPOINT [\"/usr/local/bin/biodev\"]\n";

struct ImageFile {
  std::string name;  // path inside the image, without the leading '/'
  std::string host;  // file to copy
};

std::string file_sha256(const std::string& path) {
  std::string digest = sha256_file(path);
  if (digest.empty())
    throw Error(ExitCode::kFailed, "cannot read " + path + ": " + std::strerror(errno));
  return digest;
}

std::string self_path(const BuildOptions& options) {
  if (!options.binary_path.empty()) return options.binary_path;
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw Error(ExitCode::kFailed, "cannot find biodev's own binary: " + ec.message());
  return p.string();
}

// The libraries `ldd` says the binary loads; none for a static binary.
std::vector<std::string> shared_libraries(const std::string& binary) {
  if (!find_executable("ldd")) {
    throw Error(ExitCode::kFailed,
                "ldd is not installed; it lists the libraries biodev/runtime "
                "needs. Install it with: sudo apt-get install libc-bin");
  }
  SubprocessOptions run;
  run.argv = {"ldd", binary};
  std::string out, err;
  SubprocessResult r = run_subprocess(run, [&](OutputStream s, std::string_view line) {
    std::string& text = s == OutputStream::kStdout ? out : err;
    text.append(line).append("\n");
  });
  if (r.exit_code != 0) {
    if ((out + err).find("not a dynamic executable") != std::string::npos) return {};
    throw Error(ExitCode::kFailed, "ldd " + binary + " failed: " + trim(err + out));
  }
  return parse_ldd(out);
}

std::string runtime_hash(const std::vector<ImageFile>& files) {
  std::string input(kFormat);
  input += '\0';
  for (std::string_view fixed : {kPasswd, kGroup, kNsswitch, kDockerfile}) {
    input += sha256(fixed);
  }
  for (const ImageFile& f : files) {
    input += f.name;
    input += '\0';
    input += file_sha256(f.host);
  }
  return sha256_hex(input);
}

// A file's identity: a rebuilt binary or an upgraded library changes it. stat()
// follows symlinks, so libstdc++.so.6 stands for the file it points to.
std::string signature(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return "";
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" +
         std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec);
}

// The stamp remembers the hash of the files last hashed for this binary, with their
// signatures. While every signature still matches, running ldd and hashing tens of
// megabytes are skipped, and a cache hit stays a matter of milliseconds.
std::string stamp_path(const BuildOptions& options, const std::string& binary) {
  return cache_root(options) + "/runtime/" + sha256_hex(binary).substr(0, 16) + ".stamp";
}

bool read_stamp(const std::string& path, const std::string& binary, std::vector<ImageFile>& files,
                std::string& hash) {
  std::ifstream in(path);
  std::string format, line;
  if (!std::getline(in, format) || format != kFormat || !std::getline(in, hash)) return false;
  files.clear();
  while (std::getline(in, line)) {
    std::vector<std::string> f = split(line, '\t');
    if (f.size() != 3 || f[2].empty() || signature(f[1]) != f[2]) return false;
    files.push_back({f[0], f[1]});
  }
  return !files.empty() && files[0].host == binary && hash.size() == 64;
}

void write_stamp(const std::string& path, const std::vector<ImageFile>& files,
                 const std::string& hash) {
  std::string text = std::string(kFormat) + "\n" + hash + "\n";
  for (const ImageFile& f : files) text += f.name + "\t" + f.host + "\t" + signature(f.host) + "\n";
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  std::string tmp = path + "." + std::to_string(getpid());
  std::ofstream(tmp) << text;
  fs::rename(tmp, path, ec);  // best effort: without a stamp the next call just hashes
  if (ec) fs::remove(tmp, ec);
}

// A copy of the binary without debug info, which is most of a RelWithDebInfo build
// (165 MB of 171). Empty when objcopy (binutils) is missing or fails: the image then
// gets the binary as it is. The image hash stays that of the original.
detail::TempPath stripped_copy(const std::string& binary, const std::string& dir,
                               const BuildProgress& progress) {
  if (!find_executable("objcopy")) {
    if (progress) progress("context", "objcopy (binutils) not found: keeping debug info");
    return {};
  }
  detail::TempPath out = detail::make_temp_file(dir, "biodev-stripped-", "");
  SubprocessOptions run;
  run.argv = {"objcopy", "--strip-debug", binary, out.path()};
  std::string err;
  SubprocessResult r = run_subprocess(
      run, [&](OutputStream, std::string_view line) { err.append(line).append(" "); });
  if (r.exit_code == 0) return out;
  if (progress) progress("context", "objcopy --strip-debug failed, keeping debug info: " + err);
  return {};
}

void write_rootfs(const std::vector<ImageFile>& files, const std::string& path) {
  TarWriter tar(path);
  std::set<std::string> dirs = {"etc", "tmp", "usr", "usr/local", "usr/local/bin"};
  for (const ImageFile& f : files) {
    for (fs::path p = fs::path(f.name).parent_path(); !p.empty(); p = p.parent_path()) {
      dirs.insert(p.string());
    }
  }
  for (const std::string& d : dirs) tar.add_directory(d, d == "tmp" ? 01777 : 0755);
  tar.add_file("etc/passwd", kPasswd, 0644);
  tar.add_file("etc/group", kGroup, 0644);
  tar.add_file("etc/nsswitch.conf", kNsswitch, 0644);
  // Libraries under the name the loader looks for, with the bytes of what it points to.
  for (const ImageFile& f : files) tar.add_file_from(f.name, f.host, 0755);
  tar.finish();
}

}  // namespace

std::vector<std::string> parse_ldd(std::string_view output) {
  std::vector<std::string> out;
  for (const std::string& raw : split(output, '\n')) {
    std::string line = trim(raw);
    if (line.empty() || line.find("statically linked") != std::string::npos) continue;
    if (line.find("=> not found") != std::string::npos) {
      throw Error(ExitCode::kFailed, "a library biodev needs is missing: " + line);
    }
    size_t arrow = line.find("=>");
    std::string path = trim(arrow == std::string::npos ? line : line.substr(arrow + 2));
    path = trim(path.substr(0, path.find(" (")));
    // linux-vdso.so.1 and the like live in the kernel: no path, nothing to copy.
    if (path.empty() || path[0] != '/') continue;
    if (std::find(out.begin(), out.end(), path) == out.end()) out.push_back(path);
  }
  return out;
}

std::string runtime_image_tag(std::string_view version) {
  return "biodev/runtime:" + std::string(version.empty() ? std::string_view(kVersion) : version);
}

BuildResult build_runtime_image(docker::Client& client, const BuildOptions& options,
                                const BuildProgress& progress) {
  Clock::time_point started = Clock::now();
  std::string binary = self_path(options);
  std::string stamp = stamp_path(options, binary);
  std::vector<ImageFile> files;
  std::string hash;
  if (!read_stamp(stamp, binary, files, hash)) {
    files = {{"usr/local/bin/biodev", binary}};
    // libpq is opened at run time (util/libpq_shim.h), so ldd of the binary omits it
    // and what it loads.
    std::vector<std::string> libs = shared_libraries(binary);
    std::string pq = libpq_path();
    libs.push_back(pq);
    for (std::string& lib : shared_libraries(pq)) libs.push_back(std::move(lib));
    std::set<std::string> seen;
    for (const std::string& lib : libs)
      if (seen.insert(lib).second) files.push_back({lib.substr(1), lib});
    hash = runtime_hash(files);
    write_stamp(stamp, files, hash);
  }
  std::string tag = runtime_image_tag(options.version);
  if (progress) progress("check", "image " + tag + " content " + hash.substr(0, 12));

  std::string previous_id;
  if (auto done = detail::current_image(client, tag, hash, options, started, previous_id)) {
    return *done;
  }
  std::string tmp = cache_root(options) + "/tmp";
  if (progress)
    progress("context",
             "packaging " + binary + " and " + std::to_string(files.size() - 1) + " libraries");
  detail::TempPath stripped = stripped_copy(binary, tmp, progress);
  std::vector<ImageFile> content = files;
  if (!stripped.path().empty()) content[0].host = stripped.path();
  detail::TempPath rootfs = detail::make_temp_file(tmp, "runtime-rootfs-", ".tar");
  write_rootfs(content, rootfs.path());
  detail::TempPath context = detail::make_temp_file(tmp, "context-runtime-", ".tar");
  {
    TarWriter tar(context.path());
    tar.add_file("Dockerfile", kDockerfile, 0644);
    tar.add_file_from("rootfs.tar", rootfs.path(), 0644);
    tar.finish();
  }
  detail::check_cancel(options);
  return detail::engine_build(client, context.path(), tag, hash, previous_id, options, progress,
                              started);
}

}  // namespace biodev::images
