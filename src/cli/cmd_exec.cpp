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
    std::string project = ctx.project();
    docker::Client& client = ctx.client();
    plan::ObservedState obs = plan::observe(client, project);
    auto list = obs.for_service(a->service);
    if (list.empty() || list.front()->state != "running") {
      std::vector<std::string> known;
      for (const auto& c : obs.containers) known.push_back(c.service);
      std::string hint = closest_match(a->service, known);
      throw Error(ExitCode::kFailed, "service " + a->service + " is not running in project " + project +
                                         (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)"));
    }
    std::vector<std::string> cmd = a->command.empty() ? std::vector<std::string>{"sh"} : a->command;
    bool tty = !a->no_tty && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    bool attach_stdin = tty || !isatty(STDIN_FILENO);
    docker::json body = {{"AttachStdin", attach_stdin}, {"AttachStdout", true}, {"AttachStderr", true},
                         {"Tty", tty}, {"Cmd", cmd}, {"Env", a->env}};
    if (!a->user.empty()) body["User"] = a->user;
    if (!a->workdir.empty()) body["WorkingDir"] = a->workdir;
    std::string exec_id = client.exec_create(list.front()->id, body);
    std::unique_ptr<docker::RawStream> stream = client.exec_start(exec_id, tty);

    std::unique_ptr<RawTerminal> raw;
    std::atomic<bool> done{false};
    std::thread resizer;
    if (tty) {
      raw = std::make_unique<RawTerminal>();
      signal(SIGWINCH, on_winch);
      g_resized = true;
      resizer = std::thread([&] {
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
    if (attach_stdin) {
      // Detached: it may sit in read(0) after the command ended; the process exit ends it.
      std::thread([&stream] {
        char buf[8192];
        while (true) {
          ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
          if (n <= 0) break;
          try {
            stream->write_all(std::string_view(buf, static_cast<size_t>(n)));
          } catch (const std::exception&) {
            return;
          }
        }
        stream->shutdown_write();
      }).detach();
    }
    docker::FrameDecoder frames([](docker::StreamId s, std::string_view payload) {
      write_fd(s == docker::StreamId::kStderr ? STDERR_FILENO : STDOUT_FILENO, payload);
    });
    char buf[16384];
    while (size_t n = stream->read_some(buf, sizeof buf)) {
      if (tty) write_fd(STDOUT_FILENO, std::string_view(buf, n));
      else frames.feed(std::string_view(buf, n));
    }
    done = true;
    if (resizer.joinable()) resizer.join();
    raw.reset();
    int code = client.exec_inspect(exec_id).value("ExitCode", 1);
    std::cout.flush();
    // stdin's reader may still be blocked in read(): leave without waiting for it.
    std::fflush(nullptr);
    std::_Exit(code);
  };
}

}  // namespace biodev::cli
