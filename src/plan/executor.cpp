#include "plan/executor.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <system_error>
#include <thread>

#include "docker/errors.h"

namespace biodev::plan {

namespace {
enum class State { kPending, kQueued, kRunning, kDone, kFailed, kSkipped };
}

Executor::Executor(const Plan& plan, OpRunner runner, OpEventSink sink, int max_parallel)
    : plan_(plan), runner_(std::move(runner)), sink_(std::move(sink)), max_parallel_(max_parallel) {}

bool Executor::run(const std::atomic<bool>* cancel) {
  std::mutex mu;
  std::condition_variable cv;
  std::map<int, State> state;
  std::map<int, const Op*> by_id;
  std::deque<int> ready;
  int finished = 0;
  const int total = static_cast<int>(plan_.ops.size());
  for (const auto& op : plan_.ops) {
    state[op.id] = State::kPending;
    by_id[op.id] = &op;
  }

  auto emit = [&](const OpEvent& e) {
    if (sink_) sink_(e);
  };
  // Called with mu held: queue ops whose deps all succeeded; skip those with a failed dep.
  std::function<void()> refresh = [&] {
    bool changed = true;
    while (changed) {
      changed = false;
      for (const auto& op : plan_.ops) {
        if (state[op.id] != State::kPending) continue;
        bool all_done = true, any_bad = false;
        for (int d : op.deps) {
          all_done &= state[d] == State::kDone;
          any_bad |= state[d] == State::kFailed || state[d] == State::kSkipped;
        }
        if (any_bad || (cancel && cancel->load())) {
          state[op.id] = State::kSkipped;
          ++finished;
          changed = true;
          emit({&op, OpEvent::Phase::kSkipped, cancel && cancel->load() ? "cancelled" : "a dependency failed", {}});
        } else if (all_done) {
          state[op.id] = State::kQueued;
          ready.push_back(op.id);
        }
      }
    }
  };

  // Workers are started as ops become ready, one for each queued op no free worker can
  // take, up to max_parallel_: a chain runs on one thread, a wide plan on as many as it
  // can use. Each thread costs a stack and a clone, so none is started to sit idle.
  const int max_workers = std::max(1, max_parallel_);
  int free_workers = 0;  // started and not running an op
  std::vector<std::thread> pool;
  std::function<void()> worker;
  auto staff = [&] {  // called with mu held
    while (static_cast<int>(ready.size()) > free_workers &&
           static_cast<int>(pool.size()) < max_workers) {
      try {
        pool.emplace_back(worker);
      } catch (const std::system_error&) {
        if (pool.empty()) throw;  // no thread at all: only the caller of run() gets here
        break;                    // out of threads: the ones there are carry on
      }
      ++free_workers;
    }
    cv.notify_all();
  };
  worker = [&] {
    std::unique_lock lock(mu);
    while (true) {
      cv.wait(lock, [&] { return !ready.empty() || finished == total; });
      if (ready.empty()) return;
      int id = ready.front();
      ready.pop_front();
      const Op* op = by_id[id];
      state[id] = State::kRunning;
      --free_workers;
      lock.unlock();
      emit({op, OpEvent::Phase::kStarted, "", {}});
      auto t0 = std::chrono::steady_clock::now();
      std::string error;
      bool unreachable = false;
      try {
        runner_(*op);
      } catch (const docker::EngineError& e) {
        error = e.what();
        unreachable = e.kind() == docker::ErrorKind::kUnreachable;
      } catch (const std::exception& e) {
        error = e.what();
      }
      auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(
          std::chrono::steady_clock::now() - t0);
      lock.lock();
      ++finished;
      if (error.empty()) {
        state[id] = State::kDone;
      } else {
        state[id] = State::kFailed;
        failures_.push_back({op, error, unreachable});
      }
      lock.unlock();
      emit({op, error.empty() ? OpEvent::Phase::kDone : OpEvent::Phase::kFailed, error, elapsed});
      lock.lock();
      ++free_workers;
      refresh();
      staff();
    }
  };

  {
    std::unique_lock lock(mu);
    refresh();
    staff();
    cv.wait(lock, [&] { return finished == total; });
  }
  // Every op has ended, so nothing is queued and no worker is started any more.
  for (auto& t : pool) t.join();
  cancelled_ = cancel && cancel->load();
  return failures_.empty() && !cancelled_;
}

}  // namespace biodev::plan
