#include "health/wait.h"

#include <algorithm>
#include <thread>

#include "util/strings.h"

namespace biodev::health {

using namespace std::chrono;

WaitResult wait_ready(const ProbeTarget& target, const WaitOptions& o) {
  WaitResult r;
  const auto start = steady_clock::now();
  const auto deadline = start + o.timeout;
  auto last_died_check = start - o.died_every;
  milliseconds backoff{20};
  // A network probe costs the service one refused or short-lived connection, so it can
  // poll often: a service is seen ready at most 100 ms after it is. An exec probe costs
  // the engine a process start in the container each time; it backs off further.
  const milliseconds max_backoff{target.spec.kind == profile::ProbeSpec::Kind::kExec ? 250 : 100};
  while (true) {
    auto now = steady_clock::now();
    auto left = duration_cast<milliseconds>(deadline - now);
    auto attempt_timeout = std::clamp(left, milliseconds{50}, milliseconds{2000});
    r.last = probe_once(target, attempt_timeout, o.exec);
    ++r.attempts;
    if (o.on_attempt) o.on_attempt(r.last, r.attempts);
    now = steady_clock::now();
    r.waited = duration_cast<milliseconds>(now - start);
    if (r.last.ok) {
      r.ready = true;
      return r;
    }
    if (o.cancel && o.cancel->load()) {
      r.failure = "cancelled";
      return r;
    }
    if (o.died && now - last_died_check >= o.died_every) {
      last_died_check = now;
      if (auto why = o.died()) {
        r.failure = *why;
        return r;
      }
    }
    if (now >= deadline) {
      r.failure = "not ready after " + format_duration_us(duration_cast<microseconds>(o.timeout).count()) +
                  ": " + r.last.detail;
      return r;
    }
    std::this_thread::sleep_for(std::min(backoff, duration_cast<milliseconds>(deadline - now)));
    backoff = std::min(max_backoff, backoff * 3 / 2);
  }
}

}  // namespace biodev::health
