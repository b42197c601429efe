#include "cli/lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <string>

#include "cli/context.h"
#include "util/error.h"

namespace biodev::cli {

std::string ProjectLock::path_for(const std::string& project) {
  // Shared by every user of the machine's engine, like the engine itself.
  std::string dir = "/tmp/biodev-locks";
  if (mkdir(dir.c_str(), 01777) == 0) chmod(dir.c_str(), 01777);
  return dir + "/" + project + ".lock";
}

namespace {

int open_lock(const std::string& project) {
  std::string path = ProjectLock::path_for(project);
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0)
    throw Error(ExitCode::kFailed, "cannot open lock " + path + ": " + std::strerror(errno));
  fchmod(fd, 0666);
  return fd;
}

std::string holder_of(int fd) {
  char buf[256] = {};
  ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  std::string holder = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "another biodev";
  while (!holder.empty() && holder.back() == '\n') holder.pop_back();
  return holder.empty() ? "another biodev" : holder;
}

}  // namespace

ProjectLock::ProjectLock(const std::string& project, const std::string& verb,
                         ui::Reporter& reporter) {
  fd_ = open_lock(project);
  if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    reporter.message(ui::Level::kInfo, "project " + project + " is busy (" + holder_of(fd_) +
                                           "); waiting for it to finish");
    while (flock(fd_, LOCK_EX) != 0) {
      if (errno != EINTR || Context::cancelled()) {
        close(fd_);
        throw Error(ExitCode::kFailed, "gave up waiting for the lock on project " + project);
      }
    }
  }
  record(verb);
}

std::unique_ptr<ProjectLock> ProjectLock::try_acquire(const std::string& project,
                                                      const std::string& verb,
                                                      std::string& holder) {
  int fd = open_lock(project);
  int rc;
  while ((rc = flock(fd, LOCK_EX | LOCK_NB)) != 0 && errno == EINTR) {
  }
  if (rc != 0) {
    holder = holder_of(fd);
    close(fd);
    return nullptr;
  }
  std::unique_ptr<ProjectLock> lock(new ProjectLock(fd));
  lock->record(verb);
  return lock;
}

void ProjectLock::record(const std::string& verb) {
  std::time_t now = std::time(nullptr);
  char when[32];
  std::tm local{};
  localtime_r(&now, &local);  // the dashboard takes locks from several threads
  std::strftime(when, sizeof when, "%H:%M:%S", &local);
  std::string info =
      "biodev " + verb + ", pid " + std::to_string(getpid()) + ", since " + when + "\n";
  if (ftruncate(fd_, 0) == 0 && pwrite(fd_, info.data(), info.size(), 0) < 0) {
    // The holder text is informational only.
  }
}

ProjectLock::~ProjectLock() {
  if (fd_ >= 0) {
    flock(fd_, LOCK_UN);
    close(fd_);
  }
}

}  // namespace biodev::cli
