#include "plan/in_place_restart.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/crypto.h"
#include "util/embedded.h"
#include "util/error.h"
#include "util/unique_fd.h"

namespace biodev::plan {

namespace {

std::string_view init_bytes() {
  static const std::string_view bytes = embedded_file("init/biodev-init").value_or(std::string_view());
  return bytes;
}

std::string init_dir() { return "/tmp/biodev-init-" + std::to_string(geteuid()); }

[[noreturn]] void fail(const std::string& what, int err) {
  throw Error(ExitCode::kFailed, "cannot write biodev-init to " + what + ": " + std::strerror(err));
}

}  // namespace

const std::string& init_host_path() {
  static const std::string path = init_dir() + "/biodev-init-" + sha256_hex(init_bytes()).substr(0, 16);
  return path;
}

void materialize_init() {
  const std::string dir = init_dir();
  const std::string& path = init_host_path();
  if (init_bytes().empty()) throw Error(ExitCode::kFailed, "this biodev was built without biodev-init");
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) fail(dir, errno);
  // /tmp is everyone's: the folder must be this user's own, not a link someone made.
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) fail(dir, errno);
  if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid())
    throw Error(ExitCode::kFailed, dir + " is not a folder of this user; remove it and run again");
  if (::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
      static_cast<size_t>(st.st_size) == init_bytes().size())
    return;
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0755));
    if (!fd) fail(tmp, errno);
    std::string_view b = init_bytes();
    bool ok = ::write(fd.get(), b.data(), b.size()) == static_cast<ssize_t>(b.size());
    ok = ok && ::fchmod(fd.get(), 0755) == 0;
    if (!ok) {
      int err = errno;
      ::unlink(tmp.c_str());
      fail(tmp, err);
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    fail(path, err);
  }
}

std::vector<std::string> in_place_entrypoint(const profile::Service& s, const ImageChoice& image) {
  std::vector<std::string> out = {kInitTarget, "--service", s.name, "--grace", std::to_string(s.stop_grace_s), "--"};
  const std::vector<std::string>& entry = s.entrypoint.empty() ? image.entrypoint : s.entrypoint;
  out.insert(out.end(), entry.begin(), entry.end());
  const std::vector<std::string>& cmd = !s.command.empty()     ? s.command
                                        : s.entrypoint.empty() ? image.cmd
                                                               : s.command;
  out.insert(out.end(), cmd.begin(), cmd.end());
  return out;
}

std::vector<std::string> in_place_restart_command(const std::string& service) {
  return {kInitTarget, "--restart", service};
}

}  // namespace biodev::plan
