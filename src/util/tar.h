// A streaming tar writer (POSIX ustar, with pax headers where ustar falls short), used
// for Docker build contexts: members go straight to a file, so a rootfs of hundreds of
// megabytes never sits in memory.
//
// Every member is owned by 0:0 (or what set_owner() last set) with the writer's fixed mtime, so the same inputs give
// the same bytes. Names are relative ("etc/passwd", no leading '/'); names over 100
// bytes, link targets over 100 bytes and sizes of 8 GiB or more get a pax header.
// Errors (I/O, a host file that shrank while being copied) throw Error.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

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
  int fd_ = -1;
  long long mtime_;
  unsigned uid_ = 0, gid_ = 0;
  uint64_t offset_ = 0;  // bytes handed to write(), buffered or not
  std::string buf_;
};

}  // namespace biodev
