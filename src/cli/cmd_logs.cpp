#include <unistd.h>

#include <iostream>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/pick.h"
#include "plan/state.h"
#include "util/redact.h"
#include "util/strings.h"

namespace biodev::cli {
namespace {

// Turns frames (which split lines anywhere) into whole lines with a "service | " prefix.
class LinePrinter {
 public:
  LinePrinter(std::string service, std::string prefix, std::mutex& out_mu, bool color, int color_index, bool json)
      : service_(std::move(service)), prefix_(std::move(prefix)), mu_(out_mu), json_(json) {
    static const char* colors[] = {"\033[36m", "\033[33m", "\033[32m", "\033[35m", "\033[34m", "\033[91m"};
    if (color) prefix_ = std::string(colors[color_index % 6]) + prefix_ + "\033[0m";
  }
  void feed(docker::StreamId stream, std::string_view data) { lines_.feed(stream, data); }
  void flush() { lines_.flush(); }

 private:
  void emit(docker::StreamId stream, const std::string& line) {
    std::lock_guard lock(mu_);
    if (json_) {
      std::cout << nlohmann::json{{"service", service_}, {"stream", stream == docker::StreamId::kStderr ? "stderr" : "stdout"},
                                  {"line", global_redactor()(line)}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                << "\n";
      std::cout.flush();
      return;
    }
    std::ostream& os = stream == docker::StreamId::kStderr ? std::cerr : std::cout;
    os << prefix_ << global_redactor()(line) << "\n";
    os.flush();
  }
  std::string service_, prefix_;
  std::mutex& mu_;
  bool json_;
  docker::LineSplitter lines_{[this](docker::StreamId s, const std::string& line) { emit(s, line); }};
};

struct LogArgs {
  bool follow = false, timestamps = false;
  int tail = -1;
  std::vector<std::string> services;
};

// One stream per container, each on a thread of its own until its container's log
// ends (or, with --follow, until Ctrl-C, which ends biodev at once: the streams are
// read-only, nothing is left behind).
int stream_logs(Context& ctx, const std::vector<const plan::ObservedContainer*>& chosen,
                const LogArgs& a) {
  size_t width = 0;
  for (auto* c : chosen) width = std::max(width, c->service.size());
  std::mutex out_mu;
  bool color = ctx.reporter_options().color && isatty(fileno(stdout));
  std::vector<std::thread> threads;
  std::atomic<int> running{static_cast<int>(chosen.size())};
  std::vector<std::string> errors(chosen.size());
  docker::LogOptions lo;
  lo.follow = a.follow;
  lo.tail = a.tail;
  lo.timestamps = a.timestamps;
  for (size_t i = 0; i < chosen.size(); ++i) {
    threads.emplace_back([&, i] {
      const auto* c = chosen[i];
      std::string prefix =
          chosen.size() > 1 ? c->service + std::string(width - c->service.size(), ' ') + " | " : "";
      LinePrinter printer(c->service, prefix, out_mu, color, static_cast<int>(i), ctx.options.json);
      try {
        ctx.client().logs(c->id, lo, false,
                          [&](docker::StreamId s, std::string_view d) { printer.feed(s, d); });
      } catch (const std::exception& e) {
        errors[i] = c->service + ": " + e.what();
      }
      printer.flush();
      --running;
    });
  }
  while (running > 0 && !Context::cancelled())
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
  if (Context::cancelled()) {
    std::cout.flush();
    std::_Exit(Context::interrupted_exit_code());
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors)
    if (!e.empty()) throw Error(ExitCode::kFailed, e);
  return 0;
}

}  // namespace

Runner setup_logs(CLI::App& sub, Context& ctx) {
  auto a = std::make_shared<LogArgs>();
  sub.add_flag("-f,--follow", a->follow, "Keep streaming new output");
  sub.add_option("--tail", a->tail, "Only the last N lines of each service");
  sub.add_flag("-t,--timestamps", a->timestamps, "Prefix each line with its timestamp");
  sub.add_option("services", a->services, "Services (default: all)");
  return [&ctx, a] {
    std::string project = ctx.project();
    plan::ObservedState obs = plan::observe(ctx.client(), project);
    std::vector<const plan::ObservedContainer*> chosen = pick(obs, a->services, project, true);
    if (chosen.empty()) {
      std::cerr << "project " << project << ": no containers (run `biodev up`)\n";
      return 0;
    }
    return stream_logs(ctx, chosen, *a);
  };
}

}  // namespace biodev::cli
