#include "util/tar_extract.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "util/error.h"

namespace biodev {
namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path, int err) {
  throw Error(ExitCode::kFailed, what + " " + path + ": " + std::strerror(err));
}

std::string join_parts(const std::vector<std::string>& parts, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += (i ? "/" : "") + parts[i];
  return out;
}

void set_mtime(const std::string& path, long long mtime, bool no_follow) {
  timespec times[2] = {{mtime, 0}, {mtime, 0}};
  utimensat(AT_FDCWD, path.c_str(), times, no_follow ? AT_SYMLINK_NOFOLLOW : 0);
}

}  // namespace

TarExtractor::TarExtractor(ExtractOptions options) : opt_(std::move(options)) {
  from_ = tar_name_parts(opt_.rebase_from);
  if (!opt_.rebase_to.empty()) to_ = tar_name_parts(opt_.rebase_to);
}

TarExtractor::~TarExtractor() = default;

std::string TarExtractor::target(const std::string& name) const {
  std::vector<std::string> parts = tar_name_parts(name);
  bool under = !opt_.rebase_to.empty() && parts.size() >= from_.size() &&
               std::equal(from_.begin(), from_.end(), parts.begin());
  if (under) {
    std::vector<std::string> out = to_;
    out.insert(out.end(), parts.begin() + static_cast<long>(from_.size()), parts.end());
    parts = std::move(out);
  }
  check_parents(parts);
  return join_parts(parts, parts.size());
}

// Every folder on the way must be a real folder under root, not a symlink that could
// point anywhere (an archive can make "a -> /etc" and then write "a/passwd").
void TarExtractor::check_parents(const std::vector<std::string>& parts) const {
  for (size_t i = 1; i < parts.size(); ++i) {
    std::string p = opt_.root + "/" + join_parts(parts, i);
    struct stat st;
    if (lstat(p.c_str(), &st) != 0) continue;  // made by mkdir below, or an error there
    if (S_ISLNK(st.st_mode))
      throw Error(ExitCode::kFailed, "tar member \"" + join_parts(parts, parts.size()) +
                                         "\" goes through the symlink " + p +
                                         ": refused, nothing written outside " + opt_.root);
    if (!S_ISDIR(st.st_mode))
      throw Error(ExitCode::kFailed, "cannot unpack " + join_parts(parts, parts.size()) + ": " + p +
                                         " is not a folder");
  }
}

void TarExtractor::entry(const TarEntry& e) {
  current_ = e;
  std::string rel = target(e.name);
  std::string path = rel.empty() ? opt_.root : opt_.root + "/" + rel;
  // Folders on the way that the archive did not list first.
  for (size_t slash = opt_.root.size() + 1; (slash = path.find('/', slash)) != std::string::npos;
       ++slash) {
    std::string parent = path.substr(0, slash);
    if (mkdir(parent.c_str(), 0755) != 0 && errno != EEXIST)
      fail("cannot create the folder", parent, errno);
  }
  struct stat st;
  bool exists = lstat(path.c_str(), &st) == 0;
  switch (e.type) {
    case TarEntry::Type::kDirectory: {
      if (exists && !S_ISDIR(st.st_mode))
        throw Error(ExitCode::kFailed,
                    "cannot copy the folder " + e.name + " over the file " + path);
      if (!exists && mkdir(path.c_str(), 0700) != 0) fail("cannot create the folder", path, errno);
      // The folder's own entry when it exists already (docker cp dir/. into it): its
      // mode stays as it is.
      if (!(exists && rel.empty())) folders_.push_back({path, e.mode, e.mtime});
      if (!exists || access(path.c_str(), W_OK) != 0) chmod(path.c_str(), 0700 | e.mode);
      return;
    }
    case TarEntry::Type::kFile:
      if (exists && S_ISDIR(st.st_mode))
        throw Error(ExitCode::kFailed,
                    "cannot copy the file " + e.name + " over the folder " + path);
      if (exists) unlink(path.c_str());  // never write through a symlink that was there
      fd_.reset(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600));
      if (!fd_) fail("cannot create", path, errno);
      path_ = path;
      ++files_;
      return;
    case TarEntry::Type::kSymlink:
      if (exists && S_ISDIR(st.st_mode))
        throw Error(ExitCode::kFailed,
                    "cannot copy the symlink " + e.name + " over the folder " + path);
      if (exists) unlink(path.c_str());
      if (symlink(e.link.c_str(), path.c_str()) != 0)
        fail("cannot create the symlink", path, errno);
      set_mtime(path, e.mtime, true);
      ++files_;
      return;
    case TarEntry::Type::kHardlink: {
      std::string to = opt_.root + "/" + target(e.link);  // throws for a link out of root
      if (exists && S_ISDIR(st.st_mode))
        throw Error(ExitCode::kFailed,
                    "cannot copy the link " + e.name + " over the folder " + path);
      if (exists) unlink(path.c_str());
      if (link(to.c_str(), path.c_str()) != 0) fail("cannot create the hard link", path, errno);
      ++files_;
      return;
    }
    case TarEntry::Type::kOther:
      ++skipped_;
      return;
  }
}

void TarExtractor::data(std::string_view bytes) {
  if (!fd_) return;  // data of a skipped member
  while (!bytes.empty()) {
    ssize_t n = ::write(fd_.get(), bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("cannot write", path_, errno);
    bytes.remove_prefix(static_cast<size_t>(n));
    bytes_ += static_cast<uint64_t>(n);
  }
}

void TarExtractor::end_entry() { close_file(); }

void TarExtractor::close_file() {
  if (!fd_) return;
  fchmod(fd_.get(), current_.mode);
  timespec times[2] = {{current_.mtime, 0}, {current_.mtime, 0}};
  futimens(fd_.get(), times);
  if (fd_.close() != 0) fail("cannot write", path_, errno);
}

void TarExtractor::finish() {
  close_file();
  // Deepest first, so setting a folder's mtime is not undone by its children.
  for (auto it = folders_.rbegin(); it != folders_.rend(); ++it) {
    chmod(it->path.c_str(), it->mode);
    set_mtime(it->path, it->mtime, false);
  }
  folders_.clear();
}

}  // namespace biodev
