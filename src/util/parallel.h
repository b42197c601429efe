// The one way biodev fans work out: `parallel_for` runs fn(0) .. fn(n-1) on at most
// `max_workers` threads (the caller's included) and returns when every call has.
//
// - Bounded: never more than max_workers threads, whatever n is.
// - A thread the system cannot make is not fatal: the calls it would have made run on
//   the threads that exist (at worst on the caller's alone).
// - An exception thrown by fn stops no other call; the first one is rethrown on the
//   caller's thread once all calls have returned.
#pragma once

#include <cstddef>
#include <functional>

namespace biodev {

inline constexpr size_t kDefaultWorkers = 16;

void parallel_for(size_t n, const std::function<void(size_t)>& fn,
                  size_t max_workers = kDefaultWorkers);

}  // namespace biodev
