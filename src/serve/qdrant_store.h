// The data behind the Qdrant stand-in: named collections (qdrant_collection.h) and their
// aliases, the JSON file that keeps them across restarts, and collection snapshots.
// Requests and results use Qdrant's REST JSON shapes (the "result" part); the HTTP
// envelope is in qdrant_standin.cpp.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <shared_mutex>
#include <string>

#include "serve/qdrant_collection.h"
#include "serve/qdrant_snapshots.h"

namespace biodev::serve {

// Thread-safe: reads share a lock, changes take it exclusively and are written to disk
// before they return. Wherever an existing collection is named, an alias of it will do,
// as in Qdrant.
class QdrantStore {
 public:
  // `storage_dir` empty = memory only. Otherwise the state lives in
  // <storage_dir>/biodev-qdrant-standin.json, replaced atomically (tmp + fsync +
  // rename) after every change. Snapshots go to `snapshots_dir`, by default
  // <storage_dir>/snapshots (memory when both are empty).
  explicit QdrantStore(std::string storage_dir = "", std::string snapshots_dir = "");

  // Loads the state file when present. Throws biodev::Error when it exists but cannot
  // be read or parsed (a stand-in must not silently start empty over real data).
  void load();
  std::string state_path() const;
  const std::string& snapshots_dir() const { return snapshots_.dir(); }

  nlohmann::json list_collections() const;  // {"collections":[{"name":..}]}
  nlohmann::json collection_info(const std::string& name) const;
  bool exists(const std::string& name) const;
  void create_collection(const std::string& name, const nlohmann::json& body);  // 409 if taken
  // By the collection's own name, as in Qdrant; its aliases go with it. False when there
  // was none.
  bool delete_collection(const std::string& name);
  // PATCH /collections/{name}: optimizer, HNSW and other parameters tune structures the
  // stand-in does not build, so they are accepted and change nothing. Named or sparse
  // vector changes are refused (400).
  bool update_collection(const std::string& name, const nlohmann::json& body);

  // POST /collections/aliases: create_alias / delete_alias / rename_alias actions,
  // applied together or (on the first failing one) not at all.
  bool update_aliases(const nlohmann::json& body);
  nlohmann::json list_aliases() const;  // {"aliases":[{"alias_name":..,"collection_name":..}]}
  nlohmann::json collection_aliases(const std::string& name) const;

  nlohmann::json get_point(const std::string& name, const std::string& id) const;
  nlohmann::json retrieve(const std::string& name, const nlohmann::json& body) const;
  nlohmann::json count(const std::string& name, const nlohmann::json& body) const;
  nlohmann::json scroll(const std::string& name, const nlohmann::json& body) const;
  // Searches, by the kinds of find_points ("search", "recommend/groups", ...); the batch
  // form takes {"searches": [body, ...]} and answers a list of results.
  nlohmann::json find(const std::string& kind, const std::string& name,
                      const nlohmann::json& body) const;
  nlohmann::json find_batch(const std::string& kind, const std::string& name,
                            const nlohmann::json& body) const;

  // Changes, by the operation names of apply_update; `wait` false answers
  // "acknowledged", as Qdrant does (the change is applied and on disk all the same).
  nlohmann::json update_points(const std::string& operation, const std::string& name,
                               const nlohmann::json& body, bool wait);
  // POST /points/batch: {"operations": [{"upsert": {...}}, ...]}, applied in order as
  // one change (all or none); one result per operation.
  nlohmann::json batch_update(const std::string& name, const nlohmann::json& body, bool wait);
  // Payload indexes: the stand-in searches by brute force, so an index only records
  // its schema (shown in collection_info's payload_schema, kept on disk).
  nlohmann::json create_index(const std::string& name, const nlohmann::json& body, bool wait);
  nlohmann::json delete_index(const std::string& name, const std::string& field, bool wait);

  // Snapshots (qdrant_snapshots.cpp), in the stand-in's own format: one JSON document
  // holding the collection as the state file does. Descriptions are Qdrant's
  // {"name","creation_time","size","checksum"}.
  nlohmann::json create_snapshot(const std::string& name);
  nlohmann::json list_snapshots(const std::string& name) const;
  bool delete_snapshot(const std::string& name, const std::string& snapshot);
  std::string snapshot_data(const std::string& name, const std::string& snapshot) const;
  // Restores snapshot `snapshot` of collection `from` (PUT /snapshots/recover; the
  // location is parsed in qdrant_standin.cpp) or the uploaded snapshot file `data`
  // (POST /snapshots/upload) into collection `name`: creates it, or replaces its points
  // and payload schema (400 when its vectors differ from the snapshot's). `checksum`,
  // when not empty, is the sha256 hex the snapshot must have.
  bool recover_snapshot(const std::string& name, const std::string& from,
                        const std::string& snapshot, const std::string& checksum);
  bool restore_snapshot(const std::string& name, const std::string& data,
                        const std::string& checksum);

 private:
  using Change = std::function<void(QdrantCollection&, uint64_t op)>;
  // The one way a collection changes: under the exclusive lock, `change` gets the next
  // operation id; then the state is written and Qdrant's update result returned.
  nlohmann::json update(const std::string& name, bool wait, const Change& change);
  const std::string& resolve(const std::string& name) const;  // alias -> name; 404
  QdrantCollection* lookup(const std::string& name);          // by name or alias; nullptr if none
  const QdrantCollection& get(const std::string& name) const;
  QdrantCollection& get(const std::string& name);
  nlohmann::json find_in(const std::string& kind, const QdrantCollection& c,
                         const nlohmann::json& body) const;
  void persist() const;  // caller holds the exclusive lock (qdrant_persist.cpp)

  std::string dir_;
  mutable std::shared_mutex mu_;
  std::map<std::string, QdrantCollection> collections_;
  std::map<std::string, std::string> aliases_;  // alias -> collection
  QdrantSnapshotFiles snapshots_;
  uint64_t operation_id_ = 0;
};

}  // namespace biodev::serve
