// `biodev exec SVC -- CMD`: run a command in a service's container, like `docker exec
// -it` when stdin is a terminal (raw mode, window size kept in sync), and as a pipe
// otherwise (stdin forwarded, stdout and stderr kept apart). Exits with CMD's code.
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <iostream>
#include <thread>

#include "cli/commands.h"
#include "docker/decoders.h"
#include "plan/state.h"
#include "util/strings.h"

namespace biodev::cli {
namespace {

std::atomic<bool> g_resized{false};
extern "C" void on_winch(int) { g_resized = true; }

// Puts the terminal in raw mode for the session and restores it on every way out.
class RawTerminal {
 public:
  RawTerminal() {
    if (tcgetattr(STDIN_FILENO, &saved_) != 0) return;
    termios raw = saved_;
    cfmakeraw(&raw);
    active_ = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
  }
  ~RawTerminal() {
    if (active_) tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }

 private:
  termios saved_{};
  bool active_ = false;
};

void write_fd(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n <= 0) return;
    data.remove_prefix(static_cast<size_t>(n));
  }
}

// The id of the service's running container; an error naming the service otherwise.
std::string running_container(Context& ctx, const std::string& service) {
  std::string project = ctx.project();
  plan::ObservedState obs = plan::observe(ctx.client(), project);
  auto list = obs.for_service(service);
  if (list.empty() || list.front()->state != "running") {
    std::vector<std::string> known;
    for (const auto& c : obs.containers) known.push_back(c.service);
    std::string hint = closest_match(service, known);
    throw Error(ExitCode::kFailed, "service " + service + " is not running in project " + project +
                                       (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)"));
  }
  return list.front()->id;
}

// Keeps the exec's terminal the size of ours until `done`.
std::thread resize_follower(docker::Client& client, const std::string& exec_id,
                            const std::atomic<bool>& done) {
  signal(SIGWINCH, on_winch);
  g_resized = true;
  return std::thread([&client, exec_id, &done] {
    while (!done) {
      if (g_resized.exchange(false)) {
        winsize ws{};
        if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0) {
          try {
            client.exec_resize(exec_id, ws.ws_row, ws.ws_col);
          } catch (const std::exception&) {
            // The process may have ended between the signal and the call.
          }
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
}

// Our stdin to the process, then half-closed. Detached: it may sit in read(0) after the
// command ended; the process exit ends it.
void forward_stdin(docker::RawStream& stream) {
  std::thread([&stream] {
    char buf[8192];
    while (true) {
      ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
      if (n <= 0) break;
      try {
        stream.write_all(std::string_view(buf, static_cast<size_t>(n)));
      } catch (const std::exception&) {
        return;
      }
    }
    stream.shutdown_write();
  }).detach();
}

// The process's output to ours until it closes: as it is with a TTY, else demultiplexed
// to stdout and stderr.
void copy_output(docker::RawStream& stream, bool tty) {
  docker::FrameDecoder frames([](docker::StreamId s, std::string_view payload) {
    write_fd(s == docker::StreamId::kStderr ? STDERR_FILENO : STDOUT_FILENO, payload);
  });
  char buf[16384];
  while (size_t n = stream.read_some(buf, sizeof buf)) {
    if (tty)
      write_fd(STDOUT_FILENO, std::string_view(buf, n));
    else
      frames.feed(std::string_view(buf, n));
  }
}

// The exit code; the output can close a moment before the engine records it.
int exit_code(docker::Client& client, const std::string& exec_id) {
  for (int i = 0; i < 100; ++i) {
    if (auto code = client.exec_inspect(exec_id).exit_code) return *code;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return 1;
}

}  // namespace

Runner setup_exec(CLI::App& sub, Context& ctx) {
  struct Args {
    std::string service;
    std::vector<std::string> command;
    std::vector<std::string> env;
    std::string user, workdir;
    bool no_tty = false;
  };
  auto a = std::make_shared<Args>();
  sub.add_option("service", a->service, "Service to run in")->required();
  sub.add_option("command", a->command, "Command and arguments (after --); default: sh");
  sub.add_option("-e,--env", a->env, "Extra KEY=VALUE for the command");
  sub.add_option("-u,--user", a->user, "Run as this user (uid[:gid] or name)");
  sub.add_option("-w,--workdir", a->workdir, "Working directory in the container");
  sub.add_flag("-T,--no-tty", a->no_tty, "No terminal, even when stdin is one");
  return [&ctx, a]() -> int {
    docker::Client& client = ctx.client();
    std::string id = running_container(ctx, a->service);
    std::vector<std::string> cmd = a->command.empty() ? std::vector<std::string>{"sh"} : a->command;
    bool tty = !a->no_tty && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    bool attach_stdin = tty || !isatty(STDIN_FILENO);
    docker::ExecSpec spec{cmd, a->env, a->user, a->workdir, tty, attach_stdin};
    std::string exec_id = client.exec_create(id, spec);
    std::unique_ptr<docker::RawStream> stream = client.exec_start(exec_id, tty);
    std::unique_ptr<RawTerminal> raw;
    std::atomic<bool> done{false};
    std::thread resizer;
    if (tty) {
      raw = std::make_unique<RawTerminal>();
      resizer = resize_follower(client, exec_id, done);
    }
    if (attach_stdin) forward_stdin(*stream);
    copy_output(*stream, tty);
    done = true;
    if (resizer.joinable()) resizer.join();
    raw.reset();
    int code = exit_code(client, exec_id);
    std::cout.flush();
    // stdin's reader may still be blocked in read(): leave without waiting for it.
    std::fflush(nullptr);
    std::_Exit(code);
  };
}

}  // namespace biodev::cli
