// The Context makes its reporter once, whichever thread asks first: image builds and
// plan ops report from worker threads, and two reporters made at once crashed
// `biodev images build` now and then.
#include <doctest/doctest.h>

#include <set>
#include <thread>
#include <vector>

#include "cli/context.h"

using biodev::cli::Context;

TEST_CASE("reporter(): one reporter for every thread that asks at once") {
  for (int round = 0; round < 50; ++round) {
    Context ctx;
    ctx.options.json = true;  // no terminal probing; output goes nowhere visible
    std::vector<const void*> seen(8);
    std::vector<std::thread> threads;
    for (size_t i = 0; i < seen.size(); ++i)
      threads.emplace_back([&ctx, &seen, i] { seen[i] = &ctx.reporter(); });
    for (auto& t : threads) t.join();
    CHECK(std::set<const void*>(seen.begin(), seen.end()).size() == 1);
  }
}
