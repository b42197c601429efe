// `biodev cp`: copy files and folders between a service's container and the host, with
// docker cp's rules (cli/copy_target.h), through the engine's archive endpoints: a tar
// unpacked on the host as it streams in (util/tar_extract.h), or a tar of the host
// files put into the container. "-" reads or writes the tar stream itself.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstring>
#include <exception>
#include <iostream>

#include "cli/commands.h"
#include "cli/copy_target.h"
#include "cli/pick.h"
#include "docker/errors.h"
#include "plan/state.h"
#include "util/tar.h"
#include "util/tar_extract.h"
#include "util/unique_fd.h"

namespace biodev::cli {
namespace {

// "SERVICE:PATH" or a host path. As docker cp reads it: a ':' before any '/' makes a
// container side, so a host path with a colon can be written "./a:b".
struct Side {
  std::string service;  // "" = the host
  std::string path;
};

Side parse_side(const std::string& arg) {
  if (arg.empty()) throw UsageError("cp: an empty path");
  size_t colon = arg.find(':');
  if (arg[0] == '/' || arg[0] == '.' || colon == std::string::npos || arg.find('/') < colon)
    return {"", arg};
  Side s{arg.substr(0, colon), arg.substr(colon + 1)};
  if (s.service.empty()) throw UsageError("cp: \"" + arg + "\" names no service before ':'");
  if (s.path.empty()) s.path = "/";
  if (s.path[0] != '/') s.path = "/" + s.path;  // container paths are from its root
  return s;
}

plan::ObservedContainer service_container(docker::Client& client, const std::string& project,
                                          const std::string& service) {
  plan::ObservedState obs = plan::observe(client, project);
  auto list = pick(obs, {service}, project);  // UsageError for a service with no container
  const plan::ObservedContainer* chosen = list.front();
  for (const auto* c : list)
    if (c->state == "running") chosen = c;
  plan::ObservedContainer kept = *chosen;
  if (kept.state == "dead" || kept.state == "removing")
    throw Error(ExitCode::kFailed, "the container " + kept.name + " of service " + service +
                                       " is " + kept.state +
                                       ": nothing to copy to or from (biodev up makes a new one)");
  return kept;
}

std::string bytes_text(uint64_t b) {
  if (b >= 1ULL << 20) return fmt::format("{:.1f} MiB", static_cast<double>(b) / (1 << 20));
  if (b >= 1024) return fmt::format("{:.1f} KiB", static_cast<double>(b) / 1024);
  return fmt::format("{} B", b);
}

std::optional<PathKind> host_kind(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return std::nullopt;
  return PathKind{S_ISDIR(st.st_mode)};
}

std::optional<PathKind> container_kind(docker::Client& client, const std::string& id,
                                       const std::string& path) {
  auto stat = client.path_stat(id, path);
  if (!stat) return std::nullopt;
  if (stat->is_symlink() && !stat->link_target.empty()) {
    auto target = client.path_stat(id, stat->link_target);  // docker cp follows DEST's link
    if (target) return PathKind{target->is_dir()};
  }
  return PathKind{stat->is_dir()};
}

// A temporary file that is removed on every way out.
struct TempFile {
  std::string path;
  TempFile() {
    const char* dir = std::getenv("TMPDIR");
    path = std::string(dir && *dir ? dir : "/tmp") + "/biodev-cp-XXXXXX";
    UniqueFd fd(mkstemp(path.data()));
    if (!fd)
      throw Error(ExitCode::kFailed,
                  "cannot create a temporary file in " + path + ": " + std::strerror(errno));
  }
  ~TempFile() { unlink(path.c_str()); }
};

void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      throw Error(ExitCode::kFailed,
                  std::string("cannot write the tar stream: ") + std::strerror(errno));
    data.remove_prefix(static_cast<size_t>(n));
  }
}

int copy_out(Context& ctx, const Side& from, const std::string& dst) {
  docker::Client& client = ctx.client();
  const plan::ObservedContainer c = service_container(client, ctx.project(), from.service);
  const std::string label = from.service + ":" + from.path;
  auto stat = client.path_stat(c.id, from.path);
  if (!stat)
    throw Error(ExitCode::kFailed,
                "no such file or folder in service " + from.service + "'s container: " + from.path);
  std::exception_ptr failure;
  if (dst == "-") {
    client.get_archive(c.id, from.path, [&](std::string_view chunk) {
      try {
        write_all(STDOUT_FILENO, chunk);
        return true;
      } catch (...) {
        failure = std::current_exception();
        return false;
      }
    });
    if (failure) std::rethrow_exception(failure);
    return 0;
  }
  std::optional<PathKind> dst_kind = host_kind(dst);
  std::optional<PathKind> parent = dst_kind ? std::nullopt : host_kind(parent_path(dst));
  CopyTarget t = copy_target(from.path, stat->is_dir(), dst, dst_kind, parent, label, dst);
  // The archive's top member is named stat->name ("." for "dir/."); it lands as top_name.
  ExtractOptions opt{t.dir, stat->name,
                     t.top_name == stat->name || t.top_name == "." ? "" : t.top_name};
  TarExtractor extractor(opt);
  TarReader reader(extractor, "from " + label);
  client.get_archive(c.id, from.path, [&](std::string_view chunk) {
    try {
      reader.feed(chunk);
      return true;
    } catch (...) {
      failure = std::current_exception();
      return false;
    }
  });
  if (failure) std::rethrow_exception(failure);
  reader.finish();
  extractor.finish();
  if (extractor.skipped())
    ctx.reporter().message(
        ui::Level::kWarn,
        fmt::format("skipped {} devices, fifos or sockets of {}", extractor.skipped(), label));
  ctx.reporter().message(ui::Level::kInfo,
                         fmt::format("copied {} to {} ({} in {} files and links)", label, dst,
                                     bytes_text(extractor.bytes()), extractor.files()));
  return 0;
}

int copy_in(Context& ctx, const std::string& src, const Side& to, bool keep_owner) {
  docker::Client& client = ctx.client();
  const std::string label = to.service + ":" + to.path;
  TempFile tar;
  std::string put_dir;
  size_t skipped = 0;
  const plan::ObservedContainer c = service_container(client, ctx.project(), to.service);
  if (src == "-") {
    auto kind = container_kind(client, c.id, to.path);
    if (!kind || !kind->is_dir)
      throw Error(ExitCode::kFailed, "a tar stream from stdin is unpacked into a folder: " + label +
                                         " is " + (kind ? "a file" : "missing"));
    UniqueFd fd(open(tar.path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
    if (!fd)
      throw Error(ExitCode::kFailed, "cannot write " + tar.path + ": " + std::strerror(errno));
    char buf[1 << 16];
    for (ssize_t n; (n = read(STDIN_FILENO, buf, sizeof buf)) != 0;) {
      if (n < 0 && errno == EINTR) continue;
      if (n < 0)
        throw Error(ExitCode::kFailed, std::string("cannot read stdin: ") + std::strerror(errno));
      write_all(fd.get(), std::string_view(buf, static_cast<size_t>(n)));
    }
    if (fd.close() != 0)
      throw Error(ExitCode::kFailed, "cannot write " + tar.path + ": " + std::strerror(errno));
    put_dir = to.path;
  } else {
    struct stat st;
    if (lstat(src.c_str(), &st) != 0)
      throw Error(ExitCode::kFailed, "no such file or folder on the host: " + src);
    std::optional<PathKind> dst_kind = container_kind(client, c.id, to.path);
    std::optional<PathKind> parent =
        dst_kind ? std::nullopt : container_kind(client, c.id, parent_path(to.path));
    CopyTarget t = copy_target(src, S_ISDIR(st.st_mode), to.path, dst_kind, parent, src, label);
    TarWriter writer(tar.path);
    // "dir/." into an existing folder: the content, under "./" as the engine sends it.
    std::string host =
        copies_content(src)
            ? src
            : (src.size() > 1 && src.back() == '/' ? src.substr(0, src.size() - 1) : src);
    skipped = writer.add_tree(t.top_name, host, keep_owner);
    writer.finish();
    put_dir = t.dir;
  }
  client.put_archive(c.id, put_dir, tar.path, keep_owner);
  if (skipped)
    ctx.reporter().message(
        ui::Level::kWarn, fmt::format("left out {} sockets, fifos or devices of {}", skipped, src));
  if (src != "-")
    ctx.reporter().message(ui::Level::kInfo, fmt::format("copied {} to {}", src, label));
  return 0;
}

}  // namespace

Runner setup_cp(CLI::App& sub, Context& ctx) {
  struct Args {
    std::string src, dst;
    bool archive = false;
  };
  auto a = std::make_shared<Args>();
  sub.add_option("src", a->src, "SERVICE:PATH, a host path, or - (a tar stream on stdin)")
      ->required();
  sub.add_option("dest", a->dst, "SERVICE:PATH, a host path, or - (the tar stream to stdout)")
      ->required();
  sub.add_flag("-a,--archive", a->archive,
               "Into a container: keep the host files' uid:gid (default: root's)");
  return [&ctx, a]() -> int {
    Side from = a->src == "-" ? Side{"", "-"} : parse_side(a->src);
    Side to = a->dst == "-" ? Side{"", "-"} : parse_side(a->dst);
    if (!from.service.empty() && !to.service.empty())
      throw UsageError(
          "cp: copying between two containers is not supported; copy to the host first");
    if (from.service.empty() && to.service.empty())
      throw UsageError(
          "cp: one of SRC and DEST must be SERVICE:PATH (a host path with ':' can be written "
          "./a:b)");
    if (!from.service.empty()) return copy_out(ctx, from, to.path);
    if (from.path == "-" && to.path == "-") throw UsageError("cp: SRC and DEST cannot both be -");
    return copy_in(ctx, from.path, to, a->archive);
  };
}

}  // namespace biodev::cli
