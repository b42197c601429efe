#include "ui/reporter.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>

#include "util/redact.h"
#include "util/strings.h"

namespace biodev::ui {
namespace {

const char* kReset = "\033[0m";
const char* color_for(const Event& e) {
  if (e.error || e.state == "failed") return "\033[31m";
  if (e.state == "ready" || e.state == "seeded" || e.state == "completed" || e.state == "kept" ||
      e.state == "built" || e.state == "pulled" || e.state == "present")
    return "\033[32m";
  if (e.state == "removed" || e.state == "stopping") return "\033[33m";
  return "\033[36m";
}

std::string seconds_text(double s) { return s < 0 ? "" : format_duration_us(static_cast<long long>(s * 1e6)); }

std::string progress_text(const Event& e) {
  if (e.total <= 0) return "";
  double pct = 100.0 * static_cast<double>(e.current) / static_cast<double>(e.total);
  int filled = static_cast<int>(pct / 5);
  return " [" + std::string(filled, '#') + std::string(20 - std::min(20, filled), '.') + "] " +
         std::to_string(static_cast<int>(pct)) + "%";
}

class PlainReporter : public Reporter {
 public:
  explicit PlainReporter(ReporterOptions o) : o_(o) {}
  void event(const Event& e) override {
    std::lock_guard lock(mu_);
    std::string line = pad(e.subject, 22) + " " + pad(e.state, 10);
    if (!e.detail.empty()) line += " " + e.detail;
    if (e.seconds >= 0) line += " (" + seconds_text(e.seconds) + ")";
    line = global_redactor()(line);
    if (o_.color) line = std::string(color_for(e)) + line + kReset;
    std::fprintf(o_.out, "%s\n", line.c_str());
  }
  void message(Level level, const std::string& text) override {
    std::lock_guard lock(mu_);
    const char* prefix = level == Level::kError ? "error: " : level == Level::kWarn ? "warning: " : "";
    std::string t = global_redactor()(text);
    if (o_.color && level != Level::kInfo)
      std::fprintf(o_.out, "%s%s%s%s\n", level == Level::kError ? "\033[31m" : "\033[33m", prefix,
                   kReset, t.c_str());
    else
      std::fprintf(o_.out, "%s%s\n", prefix, t.c_str());
  }
  void finish() override { std::fflush(o_.out); }

 protected:
  static std::string pad(const std::string& s, size_t n) { return s.size() >= n ? s : s + std::string(n - s.size(), ' '); }
  ReporterOptions o_;
  std::mutex mu_;
};

// Set by SIGWINCH: the live view reads the terminal's width again before its next draw.
std::atomic<bool> g_resized{true};
// The handler that was there before (biodev exec's terminal resize), still called.
void (*g_previous_winch)(int) = nullptr;
extern "C" void on_winch_redraw(int sig) {
  g_resized = true;
  if (g_previous_winch) g_previous_winch(sig);
}

// One line per subject, redrawn in place; messages scroll above the live block.
class TtyReporter : public PlainReporter {
 public:
  explicit TtyReporter(ReporterOptions o) : PlainReporter(o), start_(std::chrono::steady_clock::now()) {
    struct sigaction sa {};
    sa.sa_handler = on_winch_redraw;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    struct sigaction previous {};
    if (sigaction(SIGWINCH, &sa, &previous) == 0 && previous.sa_handler != on_winch_redraw &&
        previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN && !(previous.sa_flags & SA_SIGINFO))
      g_previous_winch = previous.sa_handler;
  }
  void event(const Event& e) override {
    std::lock_guard lock(mu_);
    auto it = std::find_if(rows_.begin(), rows_.end(), [&](const Row& r) { return r.e.subject == e.subject; });
    if (it == rows_.end()) rows_.push_back({e, std::chrono::steady_clock::now()});
    else it->e = e;
    redraw(false);
  }
  void message(Level level, const std::string& text) override {
    std::lock_guard lock(mu_);
    clear();
    const char* prefix = level == Level::kError ? "\033[31merror:\033[0m " : level == Level::kWarn ? "\033[33mwarning:\033[0m " : "";
    std::fprintf(o_.out, "%s%s\n", o_.color ? prefix : (level == Level::kError ? "error: " : level == Level::kWarn ? "warning: " : ""),
                 global_redactor()(text).c_str());
    drawn_ = 0;
    redraw(true);
  }
  void finish() override {
    std::lock_guard lock(mu_);
    redraw(true);
    std::fflush(o_.out);
  }

 private:
  struct Row {
    Event e;
    std::chrono::steady_clock::time_point since;
  };
  void clear() {
    for (int i = 0; i < drawn_; ++i) std::fputs("\033[1A\033[2K", o_.out);
  }
  void redraw(bool force) {
    auto now = std::chrono::steady_clock::now();
    if (!force && now - last_draw_ < std::chrono::milliseconds(50)) return;
    last_draw_ = now;
    clear();
    static const char* spin[] = {"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"};
    int frame = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(now - start_).count() / 80) % 10;
    for (const auto& r : rows_) {
      bool done = r.e.state == "ready" || r.e.state == "seeded" || r.e.state == "completed" ||
                  r.e.state == "removed" || r.e.state == "created" || r.e.state == "built" ||
                  r.e.state == "pulled" || r.e.state == "present" || r.e.state == "kept";
      const char* mark = r.e.error ? "✗" : done ? "✔" : spin[frame];
      double secs = r.e.seconds >= 0 ? r.e.seconds
                                     : std::chrono::duration<double>(now - r.since).count();
      std::string line = std::string(mark) + " " + pad(r.e.subject, 22) + " " + pad(r.e.state, 10) +
                         " " + pad(seconds_text(secs), 7) + progress_text(r.e);
      if (!r.e.detail.empty()) line += " " + r.e.detail;
      if (g_resized.exchange(false)) columns_ = terminal_columns(fileno(o_.out));
      line = fit_line(global_redactor()(line), columns_);
      if (o_.color) line = std::string(color_for(r.e)) + line + kReset;
      std::fprintf(o_.out, "%s\n", line.c_str());
    }
    drawn_ = static_cast<int>(rows_.size());
    std::fflush(o_.out);
  }
  std::vector<Row> rows_;
  size_t columns_ = 0;
  int drawn_ = 0;
  std::chrono::steady_clock::time_point start_, last_draw_{};
};

class JsonReporter : public Reporter {
 public:
  explicit JsonReporter(ReporterOptions o) : o_(o), start_(std::chrono::steady_clock::now()) {}
  void event(const Event& e) override {
    nlohmann::json j = {{"type", "event"}, {"subject", e.subject}, {"state", e.state}, {"t", now()}};
    if (!e.detail.empty()) j["detail"] = global_redactor()(e.detail);
    if (e.seconds >= 0) j["seconds"] = e.seconds;
    if (e.total > 0) j["progress"] = {{"current", e.current}, {"total", e.total}};
    if (e.error) j["error"] = true;
    write(j);
  }
  void message(Level level, const std::string& text) override {
    static const char* names[] = {"info", "warning", "error"};
    write({{"type", "message"}, {"level", names[static_cast<int>(level)]},
           {"text", global_redactor()(text)}, {"t", now()}});
  }
  void finish() override { std::fflush(o_.out); }

 private:
  double now() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }
  void write(const nlohmann::json& j) {
    std::lock_guard lock(mu_);
    std::fprintf(o_.out, "%s\n", j.dump().c_str());
    std::fflush(o_.out);
  }
  ReporterOptions o_;
  std::mutex mu_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

std::string fit_line(const std::string& line, size_t columns) {
  if (columns == 0) return line;
  auto is_continuation = [](char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; };
  size_t cells = 0;
  for (char c : line) cells += is_continuation(c) ? 0 : 1;
  // The last column stays free: some terminals wrap as soon as it is written.
  const size_t room = columns - 1;
  if (cells <= room) return line;
  if (room == 0) return "";
  size_t keep = room - 1, seen = 0, at = 0;  // code points before the ellipsis
  for (; at < line.size(); ++at) {
    if (!is_continuation(line[at])) {
      if (seen == keep) break;
      ++seen;
    }
  }
  return line.substr(0, at) + "…";
}

size_t terminal_columns(int fd) {
  winsize ws{};
  if (ioctl(fd, TIOCGWINSZ, &ws) != 0) return 0;
  return ws.ws_col;
}

std::unique_ptr<Reporter> make_reporter(const ReporterOptions& o) {
  switch (o.mode) {
    case Mode::kTty: return std::make_unique<TtyReporter>(o);
    case Mode::kJson: return std::make_unique<JsonReporter>(o);
    case Mode::kPlain: break;
  }
  return std::make_unique<PlainReporter>(o);
}

ReporterOptions detect_reporter_options(bool json, bool no_color, bool verbose) {
  ReporterOptions o;
  o.verbose = verbose;
  bool tty = isatty(fileno(stderr)) != 0;
  const char* term = std::getenv("TERM");
  bool dumb = term && std::string(term) == "dumb";
  o.mode = json ? Mode::kJson : (tty && !dumb ? Mode::kTty : Mode::kPlain);
  if (json) o.out = stdout;  // machine output belongs on stdout
  const char* nc = std::getenv("NO_COLOR");
  o.color = tty && !dumb && !no_color && !(nc && *nc);
  return o;
}

}  // namespace biodev::ui
