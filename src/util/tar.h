// A streaming tar writer (POSIX ustar, with pax headers where ustar falls short), used
// for Docker build contexts and `biodev cp`: members go straight to a file, so a rootfs of
// hundreds of megabytes never sits in memory. And a push parser (TarReader) for the
// archives the engine sends (GET /containers/{id}/archive) or a user pipes in.
//
// Every member is owned by 0:0 (or what set_owner() last set) with the writer's fixed mtime, so the same inputs give
// the same bytes. Names are relative ("etc/passwd", no leading '/'); names over 100
// bytes, link targets over 100 bytes and sizes of 8 GiB or more get a pax header.
// Errors (I/O, a host file that shrank while being copied) throw Error.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/unique_fd.h"

namespace biodev {

class TarWriter {
 public:
  // Creates (truncates) `path`.
  explicit TarWriter(const std::string& path, long long mtime = 0);
  ~TarWriter();  // closes the file; an unfinished archive is left as is
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;

  void add_file(std::string_view name, std::string_view data, unsigned mode = 0644);
  // Copies the host file at `host_path` in chunks (copy_file_range where the kernel
  // allows it). `mode` < 0 takes the host file's permission bits.
  void add_file_from(std::string_view name, const std::string& host_path, int mode = -1);
  void add_directory(std::string_view name, unsigned mode = 0755);
  void add_symlink(std::string_view name, std::string_view target);
  // Adds the host path as `name`, as lstat sees it: a folder with everything under it
  // (names sorted), regular files, symlinks (not followed); each member keeps the host's
  // permission bits and mtime (and with keep_owner its uid:gid). Sockets, fifos and
  // devices are left out; returns how many were.
  size_t add_tree(std::string_view name, const std::string& host_path, bool keep_owner = false);
  // The mtime (unix seconds) of the members added from now on.
  void set_mtime(long long mtime) { mtime_ = mtime; }
  // The numeric owner of the members added from now on (0:0 until called).
  void set_owner(unsigned uid, unsigned gid) {
    uid_ = uid;
    gid_ = gid;
  }

  // Writes the two zero blocks that end an archive and closes the file.
  void finish();

  uint64_t bytes_written() const { return offset_; }

 private:
  void write_header(std::string_view name, char type, uint64_t size, unsigned mode,
                    std::string_view link = {});
  void write_pax(std::string_view name, std::string_view records);
  void copy_from(int in, uint64_t size, const std::string& host_path);
  void write(const void* data, size_t len);
  void pad();
  void flush();

  std::string path_;
  UniqueFd fd_;
  long long mtime_;
  unsigned uid_ = 0, gid_ = 0;
  uint64_t offset_ = 0;  // bytes handed to write(), buffered or not
  std::string buf_;
};

// One member of an archive, with pax and GNU long names/links already applied.
struct TarEntry {
  enum class Type { kFile, kDirectory, kSymlink, kHardlink, kOther };
  Type type = Type::kFile;
  std::string name;  // as stored ("./a/b", "a/dir/"), ustar prefix joined
  std::string link;  // symlink target, or the member a hard link names
  unsigned mode = 0;  // permission bits (07777)
  uint64_t size = 0;  // data bytes that follow (kFile; kOther may have some too)
  long long mtime = 0;
  unsigned uid = 0, gid = 0;
  char typeflag = '0';
};

// Receives the members of an archive in order: entry(), its data in pieces, end_entry().
class TarSink {
 public:
  virtual ~TarSink() = default;
  virtual void entry(const TarEntry& e) = 0;
  virtual void data(std::string_view bytes) = 0;
  virtual void end_entry() = 0;
};

// Push parser: feed() the bytes as they arrive, in pieces of any size, then finish().
// Reads ustar, GNU ('L'/'K' long names, base-256 numbers) and pax ('x' path, linkpath,
// size, mtime, uid, gid; 'g' is read and ignored). A bad checksum, a malformed pax record
// or an archive that ends inside a member throws Error (exit 1) naming `source`.
class TarReader {
 public:
  TarReader(TarSink& sink, std::string source);
  void feed(std::string_view bytes);
  void finish();
  bool at_end() const { return state_ == State::kEnd; }  // the zero block was seen

 private:
  enum class State { kHeader, kMeta, kData, kPad, kEnd };
  void header(const char* block);
  void apply_long_names(TarEntry& e, uint64_t& size);
  void meta_done();
  [[noreturn]] void fail(const std::string& what) const;

  TarSink& sink_;
  std::string source_;
  State state_ = State::kHeader;
  std::string buf_;       // a header block or long-name/pax data being collected
  uint64_t left_ = 0;     // bytes of the current member's data (or meta) still to come
  uint64_t pad_ = 0;      // padding to skip after it
  uint64_t offset_ = 0;   // of the archive, for messages
  char meta_type_ = 0;    // 'x', 'g', 'L' or 'K' while collecting kMeta
  std::vector<std::pair<std::string, std::string>> pax_;  // for the next member
  std::string long_name_, long_link_;
};

// The path components of a member name with "" and "." dropped ("./a//b/" -> a, b). An
// absolute name or a ".." component throws Error (exit 1): the member would land outside
// the folder it is unpacked into.
std::vector<std::string> tar_name_parts(std::string_view name);

}  // namespace biodev
