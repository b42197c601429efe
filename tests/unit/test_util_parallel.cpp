// parallel_for: every index once, bounded threads, errors after all calls.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "util/parallel.h"

using namespace biodev;

TEST_CASE("parallel_for calls every index exactly once") {
  for (size_t n : {0u, 1u, 7u, 100u}) {
    std::vector<std::atomic<int>> calls(n);
    parallel_for(
        n, [&](size_t i) { calls[i]++; }, 4);
    for (size_t i = 0; i < n; ++i) CHECK(calls[i] == 1);
  }
}

TEST_CASE("parallel_for never runs more than max_workers at once, and runs them at once") {
  std::atomic<int> running{0}, most{0};
  std::mutex mu;
  std::set<std::thread::id> threads;
  parallel_for(
      40,
      [&](size_t) {
        int now = ++running;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        {
          std::lock_guard lock(mu);
          threads.insert(std::this_thread::get_id());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        --running;
      },
      3);
  CHECK(most.load() <= 3);
  CHECK(most.load() >= 2);
  CHECK(threads.size() <= 3);
  CHECK(threads.count(std::this_thread::get_id()) == 1);  // the caller works too
}

TEST_CASE("parallel_for finishes every call before it rethrows the first error") {
  std::atomic<int> done{0};
  CHECK_THROWS_WITH_AS(parallel_for(
                           10,
                           [&](size_t i) {
                             done++;
                             if (i % 3 == 0) throw std::runtime_error("boom");
                           },
                           4),
                       "boom", std::runtime_error);
  CHECK(done == 10);
}
