// What commands tell the user while they work. One interface, three renderings:
// live per-service lines on a TTY, plain lines otherwise, JSON lines with --json.
// Thread-safe: the executor reports from many threads.
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace biodev::ui {

enum class Mode { kTty, kPlain, kJson };
enum class Level { kInfo, kWarn, kError };

// A service (or image, network...) changing state. `state` is a short verb phrase:
// pulling, building, creating, starting, waiting, ready, seeding, seeded, stopping,
// removed, failed, kept...
struct Event {
  std::string subject;  // "postgres", "image biodev/postgres:15", "network bio_net"
  std::string state;
  std::string detail;
  double seconds = -1;  // elapsed for this subject, when known
  long long current = 0, total = 0;  // progress (bytes, steps) when known
  bool error = false;
};

class Reporter {
 public:
  virtual ~Reporter() = default;
  virtual void event(const Event& e) = 0;
  virtual void message(Level level, const std::string& text) = 0;
  // Ends live rendering (the TTY view leaves its final lines on screen).
  virtual void finish() = 0;
};

struct ReporterOptions {
  Mode mode = Mode::kPlain;
  bool color = false;
  bool verbose = false;
  FILE* out = stderr;
};

std::unique_ptr<Reporter> make_reporter(const ReporterOptions& options);

// `line` cut to fit `columns` terminal cells, ending in "…" when cut, so that a line the
// live view redraws never wraps (a wrapped line would leave its tail behind on every
// redraw). Counts UTF-8 code points as one cell each; never splits one. 0 columns: as is.
std::string fit_line(const std::string& line, size_t columns);

// The width of the terminal on `fd` (TIOCGWINSZ), 0 when it is not a terminal.
size_t terminal_columns(int fd);

// The mode and color biodev uses for this process: --json, NO_COLOR, --no-color, isatty.
ReporterOptions detect_reporter_options(bool json, bool no_color, bool verbose);

}  // namespace biodev::ui
