// What commands tell the user while they work. One interface, three renderings:
// live per-service lines on a TTY, plain lines otherwise, JSON lines with --json.
// Thread-safe: the executor reports from many threads.
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "util/progress.h"

namespace biodev::ui {

enum class Mode { kTty, kPlain, kJson };
using progress::Event;
using progress::Level;
using progress::Reporter;

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
