// Unpacks a tar stream (TarReader's members) under a host folder, as `docker cp` does
// from a container: files, folders, symlinks and hard links with their permission bits
// and mtimes; owners are not changed (the files belong to whoever runs biodev).
//
// Nothing lands outside `root`: an absolute member name, a ".." component, a hard link
// to outside, or a path through a symlink the archive (or the folder) holds is refused
// with Error (exit 1) before anything of that member is written. Devices, fifos and
// sockets are skipped and counted.
#pragma once

#include <string>
#include <vector>

#include "util/tar.h"

namespace biodev {

struct ExtractOptions {
  std::string root;  // an existing folder
  // docker cp's rename: members under `rebase_from` (a name as the archive has it, ""
  // or "." for all) land under `rebase_to` instead. Empty rebase_to: no rename.
  std::string rebase_from;
  std::string rebase_to;
};

class TarExtractor : public TarSink {
 public:
  explicit TarExtractor(ExtractOptions options);
  ~TarExtractor() override;
  void entry(const TarEntry& e) override;
  void data(std::string_view bytes) override;
  void end_entry() override;
  // Gives folders their modes and mtimes (kept until their content is in).
  void finish();

  size_t files() const { return files_; }
  uint64_t bytes() const { return bytes_; }
  size_t skipped() const { return skipped_; }

  // The path under root a member name lands at ("" for the root itself); throws as above.
  std::string target(const std::string& name) const;

 private:
  void check_parents(const std::vector<std::string>& parts) const;
  void close_file();

  ExtractOptions opt_;
  std::vector<std::string> from_, to_;
  UniqueFd fd_;
  std::string path_;  // of the open file
  TarEntry current_;
  struct Folder {
    std::string path;
    unsigned mode;
    long long mtime;
  };
  std::vector<Folder> folders_;
  size_t files_ = 0, skipped_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace biodev
