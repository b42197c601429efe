#include "plan/project_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <string>

#include "util/error.h"

namespace biodev::plan {

std::string ProjectLock::path_for(const std::string& project) {
  // Shared by every user of the machine's engine, like the engine itself.
  std::string dir = "/tmp/biodev-locks";
  if (mkdir(dir.c_str(), 01777) == 0) chmod(dir.c_str(), 01777);
  return dir + "/" + project + ".lock";
}

namespace {

UniqueFd open_lock(const std::string& project) {
  std::string path = ProjectLock::path_for(project);
  UniqueFd fd(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666));
  if (!fd) throw Error(ExitCode::kFailed, "cannot open lock " + path + ": " + std::strerror(errno));
  fchmod(fd.get(), 0666);
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
                         progress::Reporter& reporter, const std::atomic<bool>* cancel) {
  fd_ = open_lock(project);
  if (flock(fd_.get(), LOCK_EX | LOCK_NB) != 0) {
    reporter.message(
        progress::Level::kInfo,
        "project " + project + " is busy (" + holder_of(fd_.get()) + "); waiting for it to finish");
    while (flock(fd_.get(), LOCK_EX) != 0) {
      if (errno != EINTR || (cancel && cancel->load())) {
        fd_.reset();
        throw Error(ExitCode::kFailed, "gave up waiting for the lock on project " + project);
      }
    }
  }
  record(verb);
}

std::unique_ptr<ProjectLock> ProjectLock::try_acquire(const std::string& project,
                                                      const std::string& verb,
                                                      std::string& holder) {
  UniqueFd fd = open_lock(project);
  int rc;
  while ((rc = flock(fd.get(), LOCK_EX | LOCK_NB)) != 0 && errno == EINTR) {
  }
  if (rc != 0) {
    holder = holder_of(fd.get());
    return nullptr;
  }
  std::unique_ptr<ProjectLock> lock(new ProjectLock(std::move(fd)));
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
  if (ftruncate(fd_.get(), 0) == 0 && pwrite(fd_.get(), info.data(), info.size(), 0) < 0) {
    // The holder text is informational only.
  }
}

ProjectLock::~ProjectLock() {
  if (fd_) flock(fd_.get(), LOCK_UN);
}

}  // namespace biodev::plan
