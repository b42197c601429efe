// The executor walks a plan's DAG: order, failure propagation, cancel, and how many
// threads it runs the plan on.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include "plan/executor.h"

using namespace biodev::plan;

namespace {

// Threads of this process right now (each is a folder of /proc/self/task).
int thread_count() {
  int n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}

// A runner that records the order ops ran in and the most threads the process had.
struct Recorder {
  std::mutex mu;
  std::vector<std::string> order;
  int most_threads = 0;
  std::set<std::string> fail;

  OpRunner runner() {
    return [this](const Op& op) {
      {
        std::lock_guard lock(mu);
        order.push_back(op.subject);
        most_threads = std::max(most_threads, thread_count());
      }
      if (fail.count(op.subject)) throw std::runtime_error(op.subject + " broke");
    };
  }
  size_t position(const std::string& subject) {
    return std::find(order.begin(), order.end(), subject) - order.begin();
  }
};

// a -> b -> ... : each op depends on the one before it.
Plan chain(int n) {
  Plan p;
  int prev = -1;
  for (int i = 0; i < n; ++i) {
    std::vector<int> deps;
    if (prev >= 0) deps.push_back(prev);
    prev = p.add(OpKind::kStartContainer, "s" + std::to_string(i), "", "new", deps);
  }
  return p;
}

}  // namespace

TEST_CASE("an op runs after every op it depends on, and a chain runs on one thread") {
  Plan p = chain(12);
  Recorder r;
  int before = thread_count();
  Executor ex(p, r.runner(), nullptr);
  CHECK(ex.run());
  REQUIRE(r.order.size() == 12);
  for (int i = 0; i < 12; ++i) CHECK(r.order[i] == "s" + std::to_string(i));
  // Only one op of a chain is ever ready: no second worker is started for it.
  CHECK(r.most_threads - before == 1);
}

TEST_CASE("independent ops run at the same time, up to max_parallel") {
  auto wide = [] {
    Plan p;
    for (int i = 0; i < 8; ++i) p.add(OpKind::kStartContainer, "w" + std::to_string(i), "", "new");
    return p;
  };

  SUBCASE("all eight at once") {
    // Each op waits until all eight have started: this only ends if they run in parallel.
    Plan p = wide();
    std::mutex mu;
    std::condition_variable cv;
    int started = 0;
    Executor ex(
        p,
        [&](const Op&) {
          std::unique_lock lock(mu);
          ++started;
          cv.notify_all();
          if (!cv.wait_for(lock, std::chrono::seconds(10), [&] { return started == 8; }))
            throw std::runtime_error("ran one after another");
        },
        nullptr);
    CHECK(ex.run());
    CHECK(started == 8);
  }

  SUBCASE("never more than max_parallel") {
    Plan p = wide();
    std::atomic<int> now{0}, most{0}, most_threads{0};
    int before = thread_count();
    Executor ex(
        p,
        [&](const Op&) {
          int n = ++now;
          int m = most.load();
          while (n > m && !most.compare_exchange_weak(m, n)) {
          }
          int t = thread_count();
          int mt = most_threads.load();
          while (t > mt && !most_threads.compare_exchange_weak(mt, t)) {
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
          --now;
        },
        nullptr, 3);
    CHECK(ex.run());
    CHECK(most.load() <= 3);
    CHECK(most.load() >= 2);
    CHECK(most_threads.load() - before <= 3);
  }
}

TEST_CASE("a failed op skips its dependents, not the independent branches") {
  // a -> b -> c, and d alone.
  Plan p;
  int a = p.add(OpKind::kStartContainer, "a", "", "new");
  int b = p.add(OpKind::kStartContainer, "b", "", "new", {a});
  p.add(OpKind::kStartContainer, "c", "", "new", {b});
  p.add(OpKind::kStartContainer, "d", "", "new");
  Recorder r;
  r.fail = {"b"};
  std::vector<std::string> skipped;
  std::mutex mu;
  Executor ex(p, r.runner(), [&](const OpEvent& e) {
    std::lock_guard lock(mu);
    if (e.phase == OpEvent::Phase::kSkipped) skipped.push_back(e.op->subject + ": " + e.detail);
  });
  CHECK_FALSE(ex.run());
  REQUIRE(ex.failures().size() == 1);
  CHECK(ex.failures()[0].op->subject == "b");
  CHECK(ex.failures()[0].message == "b broke");
  CHECK(skipped == std::vector<std::string>{"c: a dependency failed"});
  CHECK(r.position("d") < r.order.size());
  CHECK(r.position("c") == r.order.size());  // never ran
  CHECK_FALSE(ex.cancelled());
}

TEST_CASE("cancel lets running ops end and starts no new one") {
  Plan p = chain(5);
  std::atomic<bool> cancel{false};
  Recorder r;
  OpRunner inner = r.runner();
  Executor ex(
      p,
      [&](const Op& op) {
        inner(op);
        if (op.subject == "s1") cancel = true;
      },
      nullptr);
  CHECK_FALSE(ex.run(&cancel));
  CHECK(ex.cancelled());
  CHECK(r.order == std::vector<std::string>{"s0", "s1"});
  CHECK(ex.failures().empty());
}

TEST_CASE("an empty plan succeeds") {
  Plan p;
  Executor ex(
      p, [](const Op&) { throw std::runtime_error("no op to run"); }, nullptr);
  CHECK(ex.run());
}
