// ssh to the engine's host, as the docker CLI does it: each connection is one
// `ssh ... docker system dial-stdio`, whose stdin and stdout are our end of a socket
// pair. ssh runs in its own process group (a Ctrl-C at the terminal is biodev's to
// handle, not ssh's) and in batch mode: it never prompts, so a login that needs a
// password fails with ssh's own message instead of hanging. ~/.ssh/config applies.
#include <fmt/format.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "docker/dial.h"
#include "docker/errors.h"
#include "util/strings.h"
#include "util/subprocess.h"

namespace biodev::docker {

namespace {

[[noreturn]] void unusable(const std::string& message) {
  throw EngineError(ErrorKind::kUnreachable, 0, message);
}

// What ssh wrote to its stderr (a memfd), trimmed to its last lines.
std::string stderr_text(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  off_t at = 0;
  while ((n = ::pread(fd, buf, sizeof buf, at)) > 0) {
    out.append(buf, static_cast<size_t>(n));
    at += n;
  }
  out = trim(out);
  if (out.size() > 600) out = "..." + out.substr(out.size() - 600);
  return out;
}

struct Child {
  pid_t pid = -1;
  int err = -1;  // memfd with its stderr
  int status = -1;
};

class SshDialer final : public Dialer {
 public:
  explicit SshDialer(Endpoint ep) : ep_(std::move(ep)) {}
  ~SshDialer() override {
    std::lock_guard lock(mutex_);
    for (auto& c : children_) ::close(c->err);
  }

  Dialed dial(std::chrono::milliseconds timeout) override;
  bool ping_new_connections() const override { return true; }

 private:
  std::vector<std::string> argv(std::chrono::milliseconds timeout) const;
  std::string explain(const std::shared_ptr<Child>& child);
  void reap_exited();

  Endpoint ep_;
  std::mutex mutex_;
  std::vector<std::shared_ptr<Child>> children_;
};

// BIODEV_SSH_COMMAND replaces "ssh" (split at spaces, no quoting), as GIT_SSH_COMMAND
// does for git: `ssh -F ./ssh_config`, `ssh -i key -o StrictHostKeyChecking=accept-new`.
std::vector<std::string> ssh_program() {
  const char* custom = std::getenv("BIODEV_SSH_COMMAND");
  std::vector<std::string> words;
  if (custom)
    for (auto& w : split(custom, ' '))
      if (!w.empty()) words.push_back(w);
  if (words.empty()) words.push_back("ssh");
  return words;
}

std::vector<std::string> SshDialer::argv(std::chrono::milliseconds timeout) const {
  long seconds = std::max<long>(1, static_cast<long>((timeout.count() + 999) / 1000));
  std::vector<std::string> a = ssh_program();
  a.insert(a.end(), {"-T", "-o", "BatchMode=yes", "-o", fmt::format("ConnectTimeout={}", seconds)});
  if (!ep_.user.empty()) a.insert(a.end(), {"-l", ep_.user});
  if (!ep_.port.empty()) a.insert(a.end(), {"-p", ep_.port});
  a.insert(a.end(), {"--", ep_.host, "docker", "system", "dial-stdio"});
  return a;
}

// ssh exits once its connection ends; collect it so that no zombie is left behind.
void SshDialer::reap_exited() {
  std::lock_guard lock(mutex_);
  std::erase_if(children_, [](const std::shared_ptr<Child>& c) {
    int status = 0;
    if (::waitpid(c->pid, &status, WNOHANG) != c->pid) return false;
    ::close(c->err);
    c->err = -1;
    return true;
  });
}

std::string SshDialer::explain(const std::shared_ptr<Child>& child) {
  std::lock_guard lock(mutex_);
  if (child->err < 0) return "";
  int status = 0;
  pid_t done = 0;
  for (int i = 0; i < 50 && (done = ::waitpid(child->pid, &status, WNOHANG)) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::string said = stderr_text(child->err);
  if (done != child->pid) return said.empty() ? "" : fmt::format("ssh said: {}", said);
  std::erase(children_, child);
  ::close(child->err);
  child->err = -1;
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (said.empty()) return fmt::format("ssh exited with status {}", code);
  return fmt::format("ssh exited with status {}: {}", code, said);
}

Dialed SshDialer::dial(std::chrono::milliseconds timeout) {
  reap_exited();
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
    unusable(fmt::format("cannot make a socket pair: {}", std::strerror(errno)));
  auto child = std::make_shared<Child>();
  child->err = ::memfd_create("biodev-ssh-stderr", MFD_CLOEXEC);
  SubprocessOptions options;
  options.argv = argv(timeout);
  try {
    child->pid = start_subprocess(options, pair[1], pair[1], child->err);
  } catch (const Error& e) {
    ::close(pair[0]), ::close(pair[1]), ::close(child->err);
    unusable(fmt::format("cannot reach the Docker engine at {}: {} (install openssh-client)",
                         ep_.to_string(), e.what()));
  }
  ::close(pair[1]);
  {
    std::lock_guard lock(mutex_);
    children_.push_back(child);
  }
  return {pair[0], [this, child] { return explain(child); }};
}

}  // namespace

std::unique_ptr<Dialer> make_ssh_dialer(const Endpoint& endpoint) {
  return std::make_unique<SshDialer>(endpoint);
}

}  // namespace biodev::docker
