#include "util/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "util/error.h"
#include "util/strings.h"

extern char** environ;

namespace biodev {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr size_t kMaxLine = 64 * 1024;

class LineSplitter {
 public:
  LineSplitter(OutputStream stream, const LineSink& sink) : stream_(stream), sink_(sink) {}

  void feed(std::string_view data) {
    for (char c : data) {
      if (c == '\n' || c == '\r') {
        if (!(c == '\n' && last_cr_)) emit();  // "\r\n" ends one line, not two
        last_cr_ = c == '\r';
        continue;
      }
      last_cr_ = false;
      buf_ += c;
      if (buf_.size() >= kMaxLine) emit();
    }
  }
  void finish() {
    if (!buf_.empty()) emit();
  }

 private:
  void emit() {
    if (sink_) sink_(stream_, buf_);
    buf_.clear();
  }
  OutputStream stream_;
  const LineSink& sink_;
  std::string buf_;
  bool last_cr_ = false;
};

struct Pipe {
  int read = -1;
  int write = -1;
};

Pipe make_pipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    throw Error(ExitCode::kFailed, std::string("cannot create a pipe: ") + std::strerror(errno));
  }
  fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
  return {fds[0], fds[1]};
}

void close_fd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

// Inherited environment with the overrides applied, as "K=V" strings.
std::vector<std::string> child_environment(
    const std::vector<std::pair<std::string, std::string>>& overrides) {
  std::vector<std::string> out;
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    std::string_view key = entry.substr(0, entry.find('='));
    bool overridden = false;
    for (const auto& [k, v] : overrides) overridden = overridden || k == key;
    if (!overridden) out.emplace_back(entry);
  }
  for (const auto& [k, v] : overrides) out.push_back(k + "=" + v);
  return out;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// posix_spawn with the descriptors, signals and process group described in the header.
// `in` < 0 means /dev/null.
pid_t spawn(const std::string& path, const SubprocessOptions& options, int in, int out, int err) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (in < 0) {
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  } else {
    posix_spawn_file_actions_adddup2(&fa, in, 0);
  }
  posix_spawn_file_actions_adddup2(&fa, out, 1);
  posix_spawn_file_actions_adddup2(&fa, err, 2);
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  if (!options.cwd.empty()) posix_spawn_file_actions_addchdir_np(&fa, options.cwd.c_str());

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t all, none;
  sigfillset(&all);
  sigdelset(&all, SIGKILL);
  sigdelset(&all, SIGSTOP);
  sigemptyset(&none);
  // Ignored signals are inherited across exec (we may ignore SIGPIPE); reset them all.
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP);

  std::vector<std::string> argv_copy = options.argv;
  std::vector<std::string> env = child_environment(options.env);
  std::vector<char*> argv_c = c_strings(argv_copy);
  std::vector<char*> env_c = c_strings(env);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, path.c_str(), &fa, &attr, argv_c.data(), env_c.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    throw Error(ExitCode::kFailed, "cannot run " + path + ": " + std::strerror(rc));
  }
  return pid;
}

// Reads what is available now; closes `fd` at end of file.
void drain(int& fd, LineSplitter& lines) {
  char buf[16384];
  while (fd >= 0) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      lines.feed(std::string_view(buf, static_cast<size_t>(n)));
    } else if (n == 0) {
      close_fd(fd);
    } else if (errno != EINTR) {
      if (errno != EAGAIN) close_fd(fd);
      return;
    }
  }
}

// Ends the child's process group when cancel or the deadline asks: SIGTERM first,
// SIGKILL once the grace period is over.
class Stopper {
 public:
  Stopper(pid_t pid, const SubprocessOptions& options) : pid_(pid), options_(options) {}

  void check(SubprocessResult& result) {
    Clock::time_point now = Clock::now();
    if (!term_sent_) {
      result.cancelled = options_.cancel && options_.cancel->load();
      result.timed_out = !result.cancelled && options_.deadline && now >= *options_.deadline;
      if (result.cancelled || result.timed_out) {
        kill(-pid_, SIGTERM);
        term_sent_ = true;
        term_time_ = now;
      }
    } else if (!kill_sent_ && now - term_time_ >= options_.kill_grace) {
      kill(-pid_, SIGKILL);
      kill_sent_ = true;
    }
  }

 private:
  pid_t pid_;
  const SubprocessOptions& options_;
  bool term_sent_ = false;
  Clock::time_point term_time_{};
  bool kill_sent_ = false;
};

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Reads the child's output until it exits, stopping it when asked. Returns its raw
// wait status.
int pump(pid_t pid, const SubprocessOptions& options, const LineSink& on_line, Pipe& out, Pipe& err,
         SubprocessResult& result) {
  LineSplitter out_lines(OutputStream::kStdout, on_line);
  LineSplitter err_lines(OutputStream::kStderr, on_line);
  Stopper stopper(pid, options);
  int status = 0;
  for (;;) {
    stopper.check(result);
    if (waitpid(pid, &status, WNOHANG) == pid) {
      // Whatever the child wrote is in the pipes now; a grandchild that still holds
      // them open must not keep us here.
      drain(out.read, out_lines);
      drain(err.read, err_lines);
      break;
    }
    pollfd fds[2];
    nfds_t n = 0;
    if (out.read >= 0) fds[n++] = {out.read, POLLIN, 0};
    if (err.read >= 0) fds[n++] = {err.read, POLLIN, 0};
    if (n == 0) {
      std::this_thread::sleep_for(20ms);  // output closed, process still running
      continue;
    }
    if (poll(fds, n, 100) > 0) {
      drain(out.read, out_lines);
      drain(err.read, err_lines);
    }
  }
  out_lines.finish();
  err_lines.finish();
  return status;
}

}  // namespace

std::optional<std::string> find_executable(std::string_view name) {
  auto executable = [](const std::string& p) {
    struct stat st;
    return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(p.c_str(), X_OK) == 0;
  };
  if (name.empty()) return std::nullopt;
  if (name.find('/') != std::string_view::npos) {
    std::string p(name);
    return executable(p) ? std::optional(p) : std::nullopt;
  }
  const char* path = std::getenv("PATH");
  for (const std::string& dir : split(path ? path : "/usr/local/bin:/usr/bin:/bin", ':')) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + std::string(name);
    if (executable(candidate)) return candidate;
  }
  return std::nullopt;
}

SubprocessResult run_subprocess(const SubprocessOptions& options, const LineSink& on_line) {
  if (options.argv.empty()) throw Error(ExitCode::kFailed, "run_subprocess: empty argv");
  std::optional<std::string> path = find_executable(options.argv[0]);
  if (!path) throw Error(ExitCode::kFailed, "cannot run " + options.argv[0] + ": not found");

  Pipe out = make_pipe();
  Pipe err = make_pipe();
  pid_t pid = -1;
  try {
    pid = spawn(*path, options, -1, out.write, err.write);
  } catch (...) {
    close_fd(out.read), close_fd(out.write), close_fd(err.read), close_fd(err.write);
    throw;
  }
  close_fd(out.write);
  close_fd(err.write);

  SubprocessResult result;
  int status = 0;
  try {
    status = pump(pid, options, on_line, out, err, result);
  } catch (...) {
    // A throwing line sink must not leave the child running or its pipes open.
    kill(-pid, SIGKILL);
    waitpid(pid, &status, 0);
    close_fd(out.read);
    close_fd(err.read);
    throw;
  }
  close_fd(out.read);
  close_fd(err.read);
  result.exit_code = decode_status(status);
  return result;
}

pid_t start_subprocess(const SubprocessOptions& options, int in, int out, int err) {
  if (options.argv.empty()) throw Error(ExitCode::kFailed, "no program to run");
  std::optional<std::string> path = find_executable(options.argv[0]);
  if (!path) throw Error(ExitCode::kFailed, options.argv[0] + " is not installed (not found in PATH)");
  return spawn(*path, options, in, out, err);
}

}  // namespace biodev
