// Running a helper program (mmdebstrap, ldd) without a shell: argv in, output lines and
// an exit code out.
//
// The child gets stdin from /dev/null, stdout and stderr on pipes, no other descriptor
// of ours, default signal dispositions and its own process group, so that stopping it
// also stops whatever it started (apt, dpkg, chroot hooks). A set cancel flag or a
// passed deadline sends SIGTERM to that group, then SIGKILL after `kill_grace`.
#pragma once

#include <atomic>
#include <chrono>
#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace biodev {

enum class OutputStream { kStdout, kStderr };

// One line of output, without its terminator. A carriage return also ends a line
// (progress meters), so no line grows without bound; lines over 64 KiB are split.
using LineSink = std::function<void(OutputStream stream, std::string_view line)>;

struct SubprocessOptions {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH when it has no '/'
  // Set (or override) in the child's environment; the rest is inherited.
  std::vector<std::pair<std::string, std::string>> env;
  std::string cwd;  // "" = ours
  const std::atomic<bool>* cancel = nullptr;
  std::optional<std::chrono::steady_clock::time_point> deadline;
  std::chrono::milliseconds kill_grace{5000};
};

struct SubprocessResult {
  int exit_code = -1;      // the child's status, or 128 + signal when a signal ended it
  bool cancelled = false;  // stopped because the cancel flag was set
  bool timed_out = false;  // stopped because the deadline passed
};

// Runs the program to completion, calling `on_line` (from this thread) for every line.
// Throws Error when the program cannot be started (not found, not executable).
SubprocessResult run_subprocess(const SubprocessOptions& options, const LineSink& on_line = {});

// Starts the program with `in`, `out` and `err` as its descriptors 0, 1 and 2 (otherwise
// set up as run_subprocess does: no other descriptor, default signals, its own process
// group) and returns its pid at once; the caller waits for it. Throws Error when it
// cannot be started. options.cancel and options.deadline are not used.
pid_t start_subprocess(const SubprocessOptions& options, int in, int out, int err);

// The full path `name` resolves to through $PATH (or `name` itself when it holds a '/'
// and is executable), if any.
std::optional<std::string> find_executable(std::string_view name);

}  // namespace biodev
