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

// One run of a plan: the ops' states, the ready queue and the workers, under one mutex.
class Run {
 public:
  Run(const Plan& plan, const OpRunner& runner, const OpEventSink& sink, int max_parallel,
      const std::atomic<bool>* cancel, std::vector<OpFailure>& failures)
      : plan_(plan),
        runner_(runner),
        sink_(sink),
        max_workers_(std::max(1, max_parallel)),
        cancel_(cancel),
        failures_(failures),
        total_(static_cast<int>(plan.ops.size())) {
    for (const auto& op : plan_.ops) {
      state_[op.id] = State::kPending;
      by_id_[op.id] = &op;
    }
  }

  void execute() {
    {
      std::unique_lock lock(mu_);
      refresh();
      staff();
      cv_.wait(lock, [&] { return finished_ == total_; });
    }
    // Every op has ended, so nothing is queued and no worker is started any more.
    for (auto& t : pool_) t.join();
  }

 private:
  bool cancelled() const { return cancel_ && cancel_->load(); }
  void emit(const OpEvent& e) const {
    if (sink_) sink_(e);
  }

  // Called with mu_ held: queue ops whose deps all succeeded; skip those with a failed
  // dep (or every pending op, once cancelled).
  void refresh() {
    bool changed = true;
    while (changed) {
      changed = false;
      for (const auto& op : plan_.ops) {
        if (state_[op.id] != State::kPending) continue;
        bool all_done = true, any_bad = false;
        for (int d : op.deps) {
          all_done &= state_[d] == State::kDone;
          any_bad |= state_[d] == State::kFailed || state_[d] == State::kSkipped;
        }
        if (any_bad || cancelled()) {
          state_[op.id] = State::kSkipped;
          ++finished_;
          changed = true;
          emit({&op,
                OpEvent::Phase::kSkipped,
                cancelled() ? "cancelled" : "a dependency failed",
                {}});
        } else if (all_done) {
          state_[op.id] = State::kQueued;
          ready_.push_back(op.id);
        }
      }
    }
  }

  // Called with mu_ held. Workers are started as ops become ready, one for each queued
  // op no free worker can take, up to max_workers_: a chain runs on one thread, a wide
  // plan on as many as it can use. Each thread costs a stack and a clone, so none is
  // started to sit idle.
  void staff() {
    while (static_cast<int>(ready_.size()) > free_workers_ &&
           static_cast<int>(pool_.size()) < max_workers_) {
      try {
        pool_.emplace_back([this] { work(); });
      } catch (const std::system_error&) {
        if (pool_.empty()) throw;  // no thread at all: only the caller of run() gets here
        break;                     // out of threads: the ones there are carry on
      }
      ++free_workers_;
    }
    cv_.notify_all();
  }

  void work() {
    std::unique_lock lock(mu_);
    while (true) {
      cv_.wait(lock, [&] { return !ready_.empty() || finished_ == total_; });
      if (ready_.empty()) return;
      int id = ready_.front();
      ready_.pop_front();
      const Op* op = by_id_[id];
      state_[id] = State::kRunning;
      --free_workers_;
      lock.unlock();
      run_one(*op, lock);
      ++free_workers_;
      refresh();
      staff();
    }
  }

  // Runs one op with mu_ released; returns with it held again.
  void run_one(const Op& op, std::unique_lock<std::mutex>& lock) {
    emit({&op, OpEvent::Phase::kStarted, "", {}});
    auto t0 = std::chrono::steady_clock::now();
    std::string error;
    bool unreachable = false;
    try {
      runner_(op);
    } catch (const docker::EngineError& e) {
      error = e.what();
      unreachable = e.kind() == docker::ErrorKind::kUnreachable;
    } catch (const std::exception& e) {
      error = e.what();
    }
    auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - t0);
    lock.lock();
    ++finished_;
    state_[op.id] = error.empty() ? State::kDone : State::kFailed;
    if (!error.empty()) failures_.push_back({&op, error, unreachable});
    lock.unlock();
    emit({&op, error.empty() ? OpEvent::Phase::kDone : OpEvent::Phase::kFailed, error, elapsed});
    lock.lock();
  }

  const Plan& plan_;
  const OpRunner& runner_;
  const OpEventSink& sink_;
  const int max_workers_;
  const std::atomic<bool>* cancel_;
  std::vector<OpFailure>& failures_;
  const int total_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<int, State> state_;
  std::map<int, const Op*> by_id_;
  std::deque<int> ready_;
  int finished_ = 0;
  int free_workers_ = 0;  // started and not running an op
  std::vector<std::thread> pool_;
};

}  // namespace

Executor::Executor(const Plan& plan, OpRunner runner, OpEventSink sink, int max_parallel)
    : plan_(plan),
      runner_(std::move(runner)),
      sink_(std::move(sink)),
      max_parallel_(max_parallel) {}

bool Executor::run(const std::atomic<bool>* cancel) {
  Run(plan_, runner_, sink_, max_parallel_, cancel, failures_).execute();
  cancelled_ = cancel && cancel->load();
  return failures_.empty() && !cancelled_;
}

}  // namespace biodev::plan
