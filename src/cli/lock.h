// Serializes commands that change a project (up, down, run): two at once on one
// project would race on the same containers. The second one waits and says who holds
// the lock. An advisory flock, so a killed holder releases it automatically.
#pragma once

#include <string>

#include "ui/reporter.h"

namespace biodev::cli {

class ProjectLock {
 public:
  // Blocks until acquired; Ctrl-C while waiting throws Error(kFailed).
  ProjectLock(const std::string& project, const std::string& verb, ui::Reporter& reporter);
  ~ProjectLock();
  ProjectLock(const ProjectLock&) = delete;
  ProjectLock& operator=(const ProjectLock&) = delete;

  static std::string path_for(const std::string& project);

 private:
  int fd_ = -1;
};

}  // namespace biodev::cli
