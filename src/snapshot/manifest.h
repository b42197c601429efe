// A snapshot's record and the pure rules around snapshots: valid names, the names of
// the Postgres databases a snapshot keeps, its manifest JSON, and how `snapshot ls`
// shows them. Nothing here does I/O.
//
// A snapshot NAME lives in <project folder>/.snapshots/NAME/: manifest.json (written
// last, so a folder without one is not a snapshot), redis.dump, s3/ and qdrant/. Its
// Postgres data is two databases in the stack's own server, beside the app database:
// the template biodev_snap_NAME and the ready copy biodev_snapr_NAME that the next
// restore renames in.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

namespace biodev::snapshot {

inline constexpr const char* kFolder = ".snapshots";
inline constexpr const char* kManifestFile = "manifest.json";
inline constexpr int kManifestFormat = 1;
inline constexpr size_t kMaxNameLength = 40;

// Every database a snapshot makes starts with this, and carries a COMMENT saying which
// snapshot it belongs to; the lease service's databases start with biodev_lease_.
inline constexpr const char* kDatabasePrefix = "biodev_snap";
std::string template_database(const std::string& name);  // biodev_snap_NAME
std::string ready_database(const std::string& name);     // biodev_snapr_NAME
std::string partial_database(const std::string& name);   // biodev_snapt_NAME, while saving
// The app database set aside by a restore, dropped once the restore is done.
std::string set_aside_database(const std::string& tag);  // biodev_snapold_TAG

// Why `name` cannot name a snapshot, or "" when it can: 1 to 40 characters, lowercase
// letters, digits, '.', '_' and '-', starting with a letter or a digit.
std::string name_problem(const std::string& name);

// One store's part of a snapshot.
struct StoreEntry {
  std::string store;    // "postgres", "redis", "s3", "qdrant"
  long long bytes = 0;  // what it holds on disk (Postgres: the database's size)
  long long items = 0;  // keys, objects, collections; 0 for postgres
  std::string detail;   // "database bio", "3 buckets"
};

struct Manifest {
  int format = kManifestFormat;
  std::string name;
  std::string project;
  long long created = 0;  // Unix seconds
  std::vector<StoreEntry> stores;

  long long bytes() const;
  const StoreEntry* store(const std::string& name) const;
};

nlohmann::json to_json(const Manifest& m);
// Throws std::invalid_argument naming the field that is missing or of the wrong type.
Manifest manifest_from_json(const nlohmann::json& j);

// "2026-12-04T01:02:03Z"
std::string utc_text(long long unix_seconds);
// "0 B", "512 B", "1.5 KB", "104.9 MB" (powers of 1000, as `du --si`).
std::string size_text(long long bytes);
// "12s", "5m", "3h", "2d".
std::string age_text(long long seconds);

// `snapshot ls`: the header (NAME SIZE AGE CREATED STORES), then one row per snapshot,
// newest first; the verb lays them out as a table.
std::vector<std::vector<std::string>> ls_rows(std::vector<Manifest> snapshots, long long now);
inline constexpr const char* kNoSnapshots = "no snapshots (biodev snapshot save NAME makes one)";
// `snapshot ls --json`: {"snapshots":[{name, created, age_s, bytes, stores:[...]}]}.
nlohmann::json ls_json(std::vector<Manifest> snapshots, long long now);

}  // namespace biodev::snapshot
