#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "util/error.h"
#include "util/subprocess.h"

using namespace biodev;
using namespace std::chrono_literals;

namespace {

struct Captured {
  std::vector<std::string> out, err;
};

SubprocessResult run_sh(const std::string& script, Captured& c, SubprocessOptions o = {}) {
  o.argv = {"sh", "-c", script};
  return run_subprocess(o, [&](OutputStream s, std::string_view line) {
    (s == OutputStream::kStdout ? c.out : c.err).emplace_back(line);
  });
}

}  // namespace

TEST_CASE("subprocess: lines from both streams and the exit code") {
  Captured c;
  SubprocessResult r = run_sh("echo one; echo two >&2; printf 'three\\r\\nfour\\rfive'; exit 3", c);
  CHECK(r.exit_code == 3);
  CHECK_FALSE(r.cancelled);
  CHECK_FALSE(r.timed_out);
  CHECK(c.out == std::vector<std::string>{"one", "three", "four", "five"});
  CHECK(c.err == std::vector<std::string>{"two"});
}

TEST_CASE("subprocess: environment, working directory, no stdin") {
  Captured c;
  SubprocessOptions o;
  o.env = {{"BIODEV_TEST_VALUE", "hello world"}, {"HOME", "/nowhere"}};
  o.cwd = "/usr";
  run_sh("echo \"$BIODEV_TEST_VALUE\"; echo \"$HOME\"; pwd; cat; echo done", c, o);
  CHECK(c.out == std::vector<std::string>{"hello world", "/nowhere", "/usr", "done"});
}

TEST_CASE("subprocess: only the standard descriptors are inherited") {
  Captured c;
  run_sh("ls /proc/self/fd | sort -n | tr '\\n' ' '", c);
  REQUIRE(c.out.size() == 1);
  // 0-2, plus the directory ls itself has open.
  CHECK(c.out[0] == "0 1 2 3 ");
}

TEST_CASE("subprocess: a signal's death is 128 + signal") {
  Captured c;
  CHECK(run_sh("kill -KILL $$", c).exit_code == 137);
}

TEST_CASE("subprocess: cancel stops the whole process group") {
  std::atomic<bool> cancel{false};
  SubprocessOptions o;
  o.cancel = &cancel;
  std::thread t([&] {
    std::this_thread::sleep_for(200ms);
    cancel = true;
  });
  Captured c;
  auto start = std::chrono::steady_clock::now();
  // The grandchild (sleep) holds the pipes open: it must be stopped too.
  SubprocessResult r = run_sh("sleep 30 & sleep 30; echo never", c, o);
  t.join();
  CHECK(r.cancelled);
  CHECK(r.exit_code == 128 + 15);
  CHECK(std::chrono::steady_clock::now() - start < 5s);
  CHECK(c.out.empty());
}

TEST_CASE("subprocess: deadline, then SIGKILL for a child ignoring SIGTERM") {
  SubprocessOptions o;
  o.deadline = std::chrono::steady_clock::now() + 200ms;
  o.kill_grace = 300ms;
  Captured c;
  auto start = std::chrono::steady_clock::now();
  SubprocessResult r = run_sh("trap '' TERM; echo started; while :; do sleep 0.05; done", c, o);
  CHECK(r.timed_out);
  CHECK(r.exit_code == 128 + 9);
  CHECK(std::chrono::steady_clock::now() - start < 3s);
  CHECK(c.out == std::vector<std::string>{"started"});
}

TEST_CASE("subprocess: missing programs") {
  CHECK_FALSE(find_executable("biodev-no-such-program").has_value());
  CHECK(find_executable("sh").has_value());
  SubprocessOptions o;
  o.argv = {"biodev-no-such-program"};
  CHECK_THROWS_AS(run_subprocess(o), Error);
}

TEST_CASE("subprocess: a throwing line sink stops the child") {
  SubprocessOptions o;
  o.argv = {"sh", "-c", "echo first; sleep 30"};
  auto start = std::chrono::steady_clock::now();
  CHECK_THROWS_WITH(
      run_subprocess(
          o, [](OutputStream, std::string_view) { throw std::runtime_error("sink gave up"); }),
      "sink gave up");
  CHECK(std::chrono::steady_clock::now() - start < 5s);
}
