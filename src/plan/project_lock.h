// Serializes commands that change a project (up, down, run, restart, the dashboard's
// buttons): two at once on one project would race on the same containers. A second
// command waits and says who holds the lock; the dashboard does not wait (try_acquire). An advisory
// flock, so a killed holder releases it automatically.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "util/progress.h"
#include "util/unique_fd.h"

namespace biodev::plan {

class ProjectLock {
 public:
  // Blocks until acquired, saying on `reporter` who holds it; `cancel` set while waiting
  // (Ctrl-C) throws Error(kFailed).
  ProjectLock(const std::string& project, const std::string& verb, progress::Reporter& reporter,
              const std::atomic<bool>* cancel);
  ~ProjectLock();
  ProjectLock(const ProjectLock&) = delete;
  ProjectLock& operator=(const ProjectLock&) = delete;

  // Without waiting: the lock, or nullptr when another holds it (then `holder` says who,
  // as "biodev up, pid 123, since 10:04:05"). Throws Error(kFailed) when the lock file
  // cannot be opened.
  static std::unique_ptr<ProjectLock> try_acquire(const std::string& project,
                                                  const std::string& verb, std::string& holder);

  static std::string path_for(const std::string& project);

 private:
  explicit ProjectLock(UniqueFd fd) : fd_(std::move(fd)) {}
  void record(const std::string& verb);
  UniqueFd fd_;  // closing it drops the flock
};

}  // namespace biodev::plan
