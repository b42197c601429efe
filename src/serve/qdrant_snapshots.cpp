// Collection snapshots of the Qdrant stand-in. A snapshot is the stand-in's own format,
// not Qdrant's tar archive: one JSON document
//   {"format": "biodev qdrant stand-in snapshot", "collection": name, "created": time,
//    "data": <the collection as the state file holds it>}
// named as Qdrant names them: <collection>-<n>-<YYYY-MM-DD-HH-MM-SS>.snapshot.
#include "serve/qdrant_snapshots.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "serve/qdrant_store.h"
#include "util/crypto.h"
#include "util/strings.h"

namespace biodev::serve {

using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr const char* kSnapshotFormat = "biodev qdrant stand-in snapshot";

std::string utc_time(std::time_t t, const char* format) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

QdrantError missing_snapshot(const std::string& name) {
  return QdrantError(404, "Not found: Snapshot " + name + " not found");
}

std::string new_snapshot_name(const QdrantSnapshotFiles& files, const std::string& collection,
                              std::time_t now) {
  std::vector<std::string> taken = files.names(collection);
  for (int n = 1;; ++n) {
    std::string name =
        fmt::format("{}-{}-{}.snapshot", collection, n, utc_time(now, "%Y-%m-%d-%H-%M-%S"));
    if (std::find(taken.begin(), taken.end(), name) == taken.end()) return name;
  }
}

QdrantCollection parse_snapshot(const std::string& data) {
  json doc = json::parse(data, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || doc.value("format", "") != kSnapshotFormat)
    throw QdrantError(400,
                      "Wrong input: not a snapshot of the biodev qdrant stand-in (it "
                      "restores its own JSON snapshots, not Qdrant's archives)");
  try {
    return collection_from_json(doc.at("data"));
  } catch (const QdrantError&) {
    throw;
  } catch (const std::exception& e) {  // a missing field, a short vector
    throw QdrantError(400, std::string("Wrong input: broken snapshot: ") + e.what());
  }
}

}  // namespace

std::string QdrantSnapshotFiles::path(const std::string& collection,
                                      const std::string& name) const {
  for (const std::string* part : {&collection, &name})
    if (part->empty() || *part == "." || *part == ".." ||
        part->find_first_of(std::string_view("/\\\0", 3)) != std::string::npos)
      throw QdrantError(400, "Wrong input: `" + *part + "` is not a snapshot or collection name");
  return dir_ + "/" + collection + "/" + name;
}

void QdrantSnapshotFiles::write(const std::string& collection, const std::string& name,
                                const std::string& data) {
  std::string file = path(collection, name);
  if (dir_.empty())
    memory_[collection][name] = {data, std::time(nullptr)};
  else
    write_file_atomically(file, data);
}

std::string QdrantSnapshotFiles::read(const std::string& collection,
                                      const std::string& name) const {
  std::string file = path(collection, name);
  if (dir_.empty()) {
    auto c = memory_.find(collection);
    if (c == memory_.end() || !c->second.count(name)) throw missing_snapshot(name);
    return c->second.at(name).data;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) throw missing_snapshot(name);
  std::stringstream data;
  data << in.rdbuf();
  return data.str();
}

void QdrantSnapshotFiles::remove(const std::string& collection, const std::string& name) {
  std::string file = path(collection, name);
  std::error_code ec;
  bool removed = dir_.empty() ? memory_[collection].erase(name) > 0 : fs::remove(file, ec);
  if (!removed) throw missing_snapshot(name);
}

std::vector<std::string> QdrantSnapshotFiles::names(const std::string& collection) const {
  std::vector<std::string> out;
  if (dir_.empty()) {
    if (auto c = memory_.find(collection); c != memory_.end())
      for (const auto& [name, stored] : c->second) out.push_back(name);
    return out;
  }
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(fs::path(dir_) / collection, ec))
    if (entry.is_regular_file() && !ends_with(entry.path().string(), ".tmp"))
      out.push_back(entry.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::time_t QdrantSnapshotFiles::created(const std::string& collection,
                                         const std::string& name) const {
  std::string file = path(collection, name);
  if (dir_.empty()) return memory_.at(collection).at(name).created;
  struct stat st {};
  return ::stat(file.c_str(), &st) == 0 ? st.st_mtime : 0;
}

json describe_snapshot(const std::string& name, const std::string& data, std::time_t created) {
  return {{"name", name},
          {"creation_time", utc_time(created, "%Y-%m-%dT%H:%M:%S")},
          {"size", data.size()},
          {"checksum", sha256_hex(data)}};
}

json QdrantStore::create_snapshot(const std::string& name) {
  std::unique_lock lock(mu_);
  std::string collection = resolve(name);
  std::time_t now = std::time(nullptr);
  std::string data = json{{"format", kSnapshotFormat},
                          {"collection", collection},
                          {"created", utc_time(now, "%Y-%m-%dT%H:%M:%SZ")},
                          {"data", collection_to_json(collections_.at(collection))}}
                         .dump();
  std::string snapshot = new_snapshot_name(snapshots_, collection, now);
  snapshots_.write(collection, snapshot, data);
  return describe_snapshot(snapshot, data, snapshots_.created(collection, snapshot));
}

json QdrantStore::list_snapshots(const std::string& name) const {
  std::shared_lock lock(mu_);
  const std::string& collection = resolve(name);
  json out = json::array();
  for (const auto& snapshot : snapshots_.names(collection))
    out.push_back(describe_snapshot(snapshot, snapshots_.read(collection, snapshot),
                                    snapshots_.created(collection, snapshot)));
  return out;
}

bool QdrantStore::delete_snapshot(const std::string& name, const std::string& snapshot) {
  std::unique_lock lock(mu_);
  snapshots_.remove(resolve(name), snapshot);
  return true;
}

std::string QdrantStore::snapshot_data(const std::string& name, const std::string& snapshot) const {
  std::shared_lock lock(mu_);
  return snapshots_.read(resolve(name), snapshot);
}

bool QdrantStore::recover_snapshot(const std::string& name, const std::string& from,
                                   const std::string& snapshot, const std::string& checksum) {
  std::string data;
  {
    std::shared_lock lock(mu_);
    data = snapshots_.read(from, snapshot);
  }
  return restore_snapshot(name, data, checksum);
}

bool QdrantStore::restore_snapshot(const std::string& name, const std::string& data,
                                   const std::string& checksum) {
  if (!checksum.empty() && to_lower(checksum) != sha256_hex(data))
    throw QdrantError(400, "Wrong input: Snapshot checksum mismatch: expected " + checksum +
                               ", got " + sha256_hex(data));
  QdrantCollection restored = parse_snapshot(data);
  std::unique_lock lock(mu_);
  if (QdrantCollection* existing = lookup(name)) {
    if (existing->size != restored.size || existing->distance != restored.distance)
      throw QdrantError(400, fmt::format("Wrong input: Snapshot is not compatible with existing "
                                         "collection: Collection vectors: {} {} Snapshot "
                                         "Vectors: {} {}",
                                         existing->size, distance_name(existing->distance),
                                         restored.size, distance_name(restored.distance)));
    *existing = std::move(restored);
  } else {
    check_collection_name(name);
    collections_.emplace(name, std::move(restored));
  }
  persist();
  return true;
}

}  // namespace biodev::serve
