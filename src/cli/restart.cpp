#include "cli/restart.h"

#include <sys/socket.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <thread>

#include "docker/decoders.h"
#include "docker/errors.h"
#include "health/wait.h"
#include "plan/apply.h"
#include "plan/in_place_restart.h"
#include "util/error.h"
#include "util/strings.h"

namespace biodev::cli {

namespace {

// The definition the container runs: the service's offline variant when it runs that.
const profile::Service* running_service(const profile::Profile& p, const plan::ObservedContainer& c) {
  const profile::Service* base = p.find(c.service);
  return base && c.variant == "offline" && base->offline ? base->offline.get() : base;
}

// Waits until the service's probe passes on `ports` (none: at once). Returns the failure,
// "" when ready.
std::string wait_ready_again(docker::Client& client, const profile::Service* s, const plan::ObservedContainer& c,
                             const std::vector<docker::PortBinding>& ports, int timeout_s,
                             const std::atomic<bool>* cancel) {
  if (!s || s->ready.kind == profile::ProbeSpec::Kind::kNone) return "";
  auto target = plan::host_probe_target(s->ready, ports, "");
  if (!target) return "";
  health::WaitOptions wo;
  wo.timeout = std::chrono::seconds(timeout_s);
  wo.cancel = cancel;
  wo.exec = [&](const std::vector<std::string>& cmd) { return client.exec(c.id, cmd).exit_code; };
  health::WaitResult w = health::wait_ready(*target, wo);
  return w.ready ? "" : w.failure;
}

void report_ready(Context& ctx, const plan::ObservedContainer& c, std::chrono::steady_clock::time_point t0) {
  ctx.reporter().event(
      {c.service, "ready", "", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()});
}

[[noreturn]] void restart_failed(const plan::ObservedContainer& c, const docker::EngineError& e) {
  if (e.kind() == docker::ErrorKind::kUnreachable) throw;  // called from the handler: the error as it is
  throw Error(ExitCode::kFailed, "service " + c.service + ": restart failed: " + e.what());
}

}  // namespace

void restart_and_wait(Context& ctx, const profile::Profile& p, const plan::ObservedContainer& c,
                      int timeout_s) {
  docker::Client& client = ctx.client();
  auto t0 = std::chrono::steady_clock::now();
  const profile::Service* s = running_service(p, c);
  ctx.reporter().event({c.service, "restarting"});
  try {
    client.restart_container(c.id, s ? s->stop_grace_s : 2);
  } catch (const docker::EngineError& e) {
    restart_failed(c, e);
  }
  // A restarted container may have new engine-picked host ports.
  std::vector<docker::PortBinding> ports;
  for (const auto& x : client.list_containers({{"id", {c.id}}}, true)) ports = x.ports;
  std::string failure = wait_ready_again(client, s, c, ports, timeout_s, &Context::cancelled());
  if (!failure.empty()) throw Error(ExitCode::kFailed, "service " + c.service + " " + failure);
  report_ready(ctx, c, t0);
}

namespace {

// The answers of biodev-init to one restart request, read from the exec's output on a
// thread of their own: "started <pid>", then "exited <status>" or "running".
class InitAnswers {
 public:
  explicit InitAnswers(std::unique_ptr<docker::RawStream> s) : stream_(std::move(s)) {
    reader_ = std::thread([this] { read(); });
    ticker_ = std::thread([this] { tick(); });
  }
  // Shuts the connection down, so that the reader returns at once.
  ~InitAnswers() {
    done_ = true;
    ::shutdown(stream_->native_handle(), SHUT_RDWR);
    reader_.join();
    ticker_.join();
  }
  // Blocks until the first answer: the line ("started 42", "exited 1", "error ..."), or ""
  // when the stream ended without one.
  std::string first() {
    std::unique_lock l(mu_);
    cv_.wait(l, [&] { return !lines_.empty() || ended_; });
    return lines_.empty() ? "" : lines_.front();
  }
  // Set once the restarted process has ended (or the user pressed Ctrl-C): the readiness
  // wait's cancel flag.
  const std::atomic<bool>& stop() const { return stop_; }
  std::optional<int> exited() {
    std::lock_guard l(mu_);
    return exit_status_;
  }

 private:
  void read() {
    std::string pending;
    docker::FrameDecoder decoder([&](docker::StreamId, std::string_view payload) { pending.append(payload); });
    char buf[4096];
    for (;;) {
      size_t n = 0;
      try {
        n = stream_->read_some(buf, sizeof buf);
        if (n) decoder.feed(std::string_view(buf, n));
      } catch (const std::exception&) {
        n = 0;  // the engine went away, or the destructor shut the connection
      }
      std::lock_guard l(mu_);
      for (size_t nl; (nl = pending.find('\n')) != std::string::npos; pending.erase(0, nl + 1)) {
        std::string line = pending.substr(0, nl);
        if (line.starts_with("exited ")) {
          exit_status_ = std::atoi(line.c_str() + 7);
          stop_ = true;
        }
        lines_.push_back(line);
      }
      if (n == 0) ended_ = true;
      cv_.notify_all();
      if (n == 0) return;
    }
  }

  // Ctrl-C ends the readiness wait too.
  void tick() {
    while (!done_) {
      if (Context::cancelled()) stop_ = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  std::unique_ptr<docker::RawStream> stream_;
  std::thread reader_, ticker_;
  std::atomic<bool> done_{false}, stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> lines_;
  std::optional<int> exit_status_;
  bool ended_ = false;
};

// The last lines the container wrote: why the process ended.
std::string last_output(docker::Client& client, const std::string& id) {
  std::string out;
  try {
    docker::LogOptions lo;
    lo.tail = 30;
    client.logs(id, lo, false, [&](docker::StreamId, std::string_view payload) { out.append(payload); });
  } catch (const std::exception&) {
    return "";
  }
  // What the process wrote since biodev-init last started it, without biodev-init's own
  // lines (the message says what they say).
  std::vector<std::string> lines = split(trim(out), '\n');
  size_t from = 0;
  for (size_t i = 0; i < lines.size(); ++i)
    if (lines[i].starts_with("biodev-init: started ")) from = i + 1;
  std::string indented;
  for (size_t i = from; i < lines.size(); ++i)
    if (!lines[i].starts_with("biodev-init: ")) indented += "\n  " + lines[i];
  return indented;
}

}  // namespace

void restart_in_place_and_wait(Context& ctx, const profile::Profile& p, const plan::ObservedContainer& c,
                               int timeout_s) {
  docker::Client& client = ctx.client();
  auto t0 = std::chrono::steady_clock::now();
  const profile::Service* s = running_service(p, c);
  ctx.reporter().event({c.service, "restarting", "its process, in the running container"});
  docker::ExecSpec spec;
  spec.cmd = plan::in_place_restart_command(c.service);
  std::optional<InitAnswers> answers;
  try {
    answers.emplace(client.exec_start(client.exec_create(c.id, spec), false));
  } catch (const docker::EngineError& e) {
    restart_failed(c, e);
  }
  std::string first = answers->first();
  if (first.starts_with("exited ")) {
    throw Error(ExitCode::kFailed, "service " + c.service + ": its command could not be started again (status " +
                                       first.substr(7) + "):" + last_output(client, c.id));
  }
  if (!first.starts_with("started ")) {
    answers.reset();
    ctx.reporter().message(ui::Level::kWarn, c.service + ": no biodev-init answered in its container (" +
                                                 (first.empty() ? "no answer" : first) + "); restarting the container");
    restart_and_wait(ctx, p, c, timeout_s);
    return;
  }
  // The container's ports stay: its own process is the only thing new.
  std::string failure = wait_ready_again(client, s, c, c.ports, timeout_s, &answers->stop());
  if (auto st = answers->exited())
    throw Error(ExitCode::kFailed, "service " + c.service + ": its process exited with status " + std::to_string(*st) +
                                       " after the restart; the next change starts it again:" +
                                       last_output(client, c.id));
  if (!failure.empty()) throw Error(ExitCode::kFailed, "service " + c.service + " " + failure);
  report_ready(ctx, c, t0);
}

}  // namespace biodev::cli
