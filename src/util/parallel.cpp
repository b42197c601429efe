#include "util/parallel.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace biodev {

void parallel_for(size_t n, const std::function<void(size_t)>& fn, size_t max_workers) {
  if (n == 0) return;
  std::atomic<size_t> next{0};
  std::mutex mu;
  std::exception_ptr first_error;
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < n;) {
      try {
        fn(i);
      } catch (...) {
        std::lock_guard lock(mu);
        if (!first_error) first_error = std::current_exception();
      }
    }
  };
  std::vector<std::thread> helpers;
  size_t wanted = std::min(n, std::max<size_t>(max_workers, 1)) - 1;  // the caller works too
  helpers.reserve(wanted);
  for (size_t t = 0; t < wanted; ++t) {
    try {
      helpers.emplace_back(work);
    } catch (const std::system_error&) {
      break;  // no more threads: the ones made (and the caller) take the rest
    }
  }
  work();
  for (auto& t : helpers) t.join();
  if (first_error) std::rethrow_exception(first_error);
}

}  // namespace biodev
