#include "util/tar.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "util/error.h"

namespace biodev {
namespace {

constexpr size_t kBlock = 512;
constexpr size_t kFlushAt = 1 << 20;
constexpr uint64_t kMaxUstarSize = 077777777777ULL;  // 11 octal digits: 8 GiB - 1
constexpr size_t kCopyChunk = 8 << 20;

[[noreturn]] void fail(const std::string& what, const std::string& path, int err) {
  throw Error(ExitCode::kFailed, what + " " + path + ": " + std::strerror(err));
}

// Zero-padded octal in a field of `width` bytes: width-1 digits and a NUL.
void put_octal(char* field, size_t width, uint64_t value) {
  std::snprintf(field, width, "%0*llo", static_cast<int>(width - 1),
                static_cast<unsigned long long>(value));
}

void put_string(char* field, size_t width, std::string_view s) {
  std::memcpy(field, s.data(), std::min(width, s.size()));
}

// "<len> key=value\n", where <len> counts the whole record including its own digits.
std::string pax_record(std::string_view key, std::string_view value) {
  size_t body = key.size() + value.size() + 3;  // ' ', '=', '\n'
  size_t len = body + 1;
  while (std::to_string(len).size() + body != len) len = std::to_string(len).size() + body;
  return std::to_string(len) + " " + std::string(key) + "=" + std::string(value) + "\n";
}

// A complete header block: ustar magic, owner 0:0 ("root"), checksum filled in.
void make_header(char* h, std::string_view name, char type, uint64_t size, unsigned mode,
                 long long mtime, std::string_view link, unsigned uid = 0, unsigned gid = 0) {
  std::memset(h, 0, kBlock);
  put_string(h, 100, name.substr(0, 100));
  put_octal(h + 100, 8, mode & 07777);
  put_octal(h + 108, 8, uid);
  put_octal(h + 116, 8, gid);
  put_octal(h + 124, 12, size);
  put_octal(h + 136, 12, static_cast<uint64_t>(mtime));
  h[156] = type;
  put_string(h + 157, 100, link.substr(0, 100));
  std::memcpy(h + 257, "ustar", 6);  // magic with its NUL
  std::memcpy(h + 263, "00", 2);
  put_string(h + 265, 32, uid == 0 ? "root" : "");
  put_string(h + 297, 32, gid == 0 ? "root" : "");
  put_octal(h + 329, 8, 0);
  put_octal(h + 337, 8, 0);
  // The checksum is taken with its own field read as eight spaces.
  std::memset(h + 148, ' ', 8);
  unsigned sum = 0;
  for (size_t i = 0; i < kBlock; ++i) sum += static_cast<unsigned char>(h[i]);
  std::snprintf(h + 148, 8, "%06o", sum);  // six digits and a NUL; the space stays
}

void check_name(std::string_view name) {
  bool bad = name.empty() || name.front() == '/' || name == ".." || name.substr(0, 3) == "../" ||
             name.find("/../") != std::string_view::npos ||
             (name.size() >= 3 && name.substr(name.size() - 3) == "/..");
  if (bad) throw Error(ExitCode::kFailed, "tar: bad member name '" + std::string(name) + "'");
}

}  // namespace

TarWriter::TarWriter(const std::string& path, long long mtime) : path_(path), mtime_(mtime) {
  fd_.reset(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd_) fail("cannot create", path, errno);
  buf_.reserve(kFlushAt + 2 * kBlock);
}

TarWriter::~TarWriter() = default;

void TarWriter::add_file(std::string_view name, std::string_view data, unsigned mode) {
  write_header(name, '0', data.size(), mode);
  write(data.data(), data.size());
  pad();
}

void TarWriter::add_file_from(std::string_view name, const std::string& host_path, int mode) {
  UniqueFd in(open(host_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in) fail("cannot open", host_path, errno);
  struct stat st;
  if (fstat(in.get(), &st) != 0) fail("cannot stat", host_path, errno);
  if (!S_ISREG(st.st_mode)) throw Error(ExitCode::kFailed, "tar: not a regular file: " + host_path);
  uint64_t size = static_cast<uint64_t>(st.st_size);
  write_header(name, '0', size, mode < 0 ? (st.st_mode & 07777) : static_cast<unsigned>(mode));
  flush();
  copy_from(in.get(), size, host_path);
  pad();
}

void TarWriter::copy_from(int in, uint64_t size, const std::string& host_path) {
  // copy_file_range keeps the bytes in the kernel; fall back to read/write where the
  // filesystems do not support it.
  bool kernel_copy = true;
  std::vector<char> chunk;
  for (uint64_t left = size; left > 0;) {
    ssize_t n = -1;
    if (kernel_copy) {
      n = copy_file_range(in, nullptr, fd_.get(), nullptr, std::min<uint64_t>(left, kCopyChunk), 0);
      if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP ||
                    errno == EBADF)) {
        kernel_copy = false;
        continue;
      }
      if (n > 0) offset_ += static_cast<uint64_t>(n);
    } else {
      if (chunk.empty()) chunk.resize(1 << 20);
      n = read(in, chunk.data(), std::min<uint64_t>(left, chunk.size()));
      if (n > 0) {
        buf_.append(chunk.data(), static_cast<size_t>(n));
        flush();  // counts the bytes in offset_
      }
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("cannot copy", host_path, errno);
    if (n == 0) throw Error(ExitCode::kFailed, "tar: " + host_path + " shrank while being copied");
    left -= static_cast<uint64_t>(n);
  }
}

void TarWriter::add_directory(std::string_view name, unsigned mode) {
  std::string dir(name);
  if (dir.empty() || dir.back() != '/') dir += '/';
  write_header(dir, '5', 0, mode);
}

void TarWriter::add_symlink(std::string_view name, std::string_view target) {
  write_header(name, '2', 0, 0777, target);
}

size_t TarWriter::add_tree(std::string_view name, const std::string& host_path, bool keep_owner) {
  struct stat st;
  if (lstat(host_path.c_str(), &st) != 0) fail("cannot read", host_path, errno);
  long long saved_mtime = mtime_;
  unsigned saved_uid = uid_, saved_gid = gid_;
  mtime_ = st.st_mtim.tv_sec;
  if (keep_owner) set_owner(st.st_uid, st.st_gid);
  size_t skipped = 0;
  if (S_ISREG(st.st_mode)) {
    add_file_from(name, host_path, static_cast<int>(st.st_mode & 07777));
  } else if (S_ISLNK(st.st_mode)) {
    std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
    ssize_t n = readlink(host_path.c_str(), target.data(), target.size());
    if (n < 0) fail("cannot read the link", host_path, errno);
    target.resize(static_cast<size_t>(n));
    add_symlink(name, target);
  } else if (S_ISDIR(st.st_mode)) {
    add_directory(name, st.st_mode & 07777);
    DIR* dir = opendir(host_path.c_str());
    if (!dir) fail("cannot list", host_path, errno);
    std::vector<std::string> children;
    while (dirent* d = readdir(dir)) {
      std::string child = d->d_name;
      if (child != "." && child != "..") children.push_back(child);
    }
    closedir(dir);
    std::sort(children.begin(), children.end());
    std::string prefix(name);
    if (!prefix.empty() && prefix.back() != '/') prefix += '/';
    for (const auto& child : children) skipped += add_tree(prefix + child, host_path + "/" + child, keep_owner);
  } else {
    skipped = 1;  // a socket, fifo or device: nothing a copy of files can carry
  }
  mtime_ = saved_mtime;
  uid_ = saved_uid;
  gid_ = saved_gid;
  return skipped;
}

void TarWriter::finish() {
  buf_.append(2 * kBlock, '\0');
  flush();
  if (fd_.close() != 0) fail("cannot write", path_, errno);
}

void TarWriter::write_header(std::string_view name, char type, uint64_t size, unsigned mode,
                             std::string_view link) {
  check_name(name);
  std::string records;
  if (name.size() > 100) records += pax_record("path", name);
  if (link.size() > 100) records += pax_record("linkpath", link);
  if (size > kMaxUstarSize) records += pax_record("size", std::to_string(size));
  if (!records.empty()) write_pax(name, records);

  char h[kBlock];
  make_header(h, name, type, size > kMaxUstarSize ? 0 : size, mode, mtime_, link, uid_, gid_);
  write(h, kBlock);
}

void TarWriter::write_pax(std::string_view name, std::string_view records) {
  // The extended header's own name is informational; keep it short and recognisable.
  size_t slash = name.find_last_of('/', name.size() > 1 ? name.size() - 2 : 0);
  std::string base(slash == std::string_view::npos ? name : name.substr(slash + 1));
  std::string pax_name = "PaxHeaders/" + base.substr(0, 80);
  char h[kBlock];
  make_header(h, pax_name, 'x', records.size(), 0644, mtime_, {});
  write(h, kBlock);
  write(records.data(), records.size());
  pad();
}

void TarWriter::write(const void* data, size_t len) {
  buf_.append(static_cast<const char*>(data), len);
  if (buf_.size() >= kFlushAt) flush();
}

void TarWriter::pad() {
  size_t rem = static_cast<size_t>((offset_ + buf_.size()) % kBlock);
  if (rem) buf_.append(kBlock - rem, '\0');
}

void TarWriter::flush() {
  size_t done = 0;
  while (done < buf_.size()) {
    ssize_t n = ::write(fd_.get(), buf_.data() + done, buf_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("cannot write", path_, errno);
    done += static_cast<size_t>(n);
  }
  offset_ += buf_.size();
  buf_.clear();
}

}  // namespace biodev
