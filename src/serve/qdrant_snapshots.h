// Where the Qdrant stand-in keeps collection snapshots: <dir>/<collection>/<snapshot>,
// as Qdrant lays out its snapshots path (QDRANT__STORAGE__SNAPSHOTS_PATH), or memory
// when there is no directory. Not thread-safe: QdrantStore's lock guards it.
#pragma once

#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace biodev::serve {

class QdrantSnapshotFiles {
 public:
  explicit QdrantSnapshotFiles(std::string dir) : dir_(std::move(dir)) {}
  const std::string& dir() const { return dir_; }

  // Names must be one path part (400 QdrantError otherwise); a snapshot that is not
  // there is a 404 QdrantError.
  void write(const std::string& collection, const std::string& name, const std::string& data);
  std::string read(const std::string& collection, const std::string& name) const;
  void remove(const std::string& collection, const std::string& name);
  std::vector<std::string> names(const std::string& collection) const;  // sorted
  std::time_t created(const std::string& collection, const std::string& name) const;

 private:
  struct Stored {
    std::string data;
    std::time_t created = 0;
  };
  std::string path(const std::string& collection, const std::string& name) const;

  std::string dir_;
  std::map<std::string, std::map<std::string, Stored>> memory_;  // when dir_ is empty
};

// Replaces `path` with `data` so that a crash leaves the old file or the new one
// (qdrant_persist.cpp); 500 QdrantError when it cannot.
void write_file_atomically(const std::string& path, const std::string& data);

// Qdrant's SnapshotDescription: {"name","creation_time","size","checksum"} (sha256 hex).
nlohmann::json describe_snapshot(const std::string& name, const std::string& data,
                                 std::time_t created);

}  // namespace biodev::serve
