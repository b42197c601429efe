// The data behind the Qdrant stand-in: collections of points, brute-force search, and
// the JSON file that keeps them across restarts. Requests and results use Qdrant's
// REST JSON shapes (the "result" part); the HTTP envelope is in qdrant_standin.cpp.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace biodev::serve {

// A failed operation, with the HTTP status Qdrant uses for it and its message
// ("Not found: Collection `x` doesn't exist!").
class QdrantError : public std::runtime_error {
 public:
  QdrantError(int status, const std::string& message)
      : std::runtime_error(message), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

enum class Distance { kCosine, kDot, kEuclid, kManhattan };
const char* distance_name(Distance d);  // "Cosine"
// Qdrant's names, case-sensitive as in Qdrant; 400 QdrantError otherwise.
Distance parse_distance(const nlohmann::json& name);

// Thread-safe: reads share a lock, changes take it exclusively and are written to disk
// before they return.
class QdrantStore {
 public:
  // `storage_dir` empty = memory only. Otherwise the state lives in
  // <storage_dir>/biodev-qdrant-standin.json, replaced atomically (tmp + fsync +
  // rename) after every change.
  explicit QdrantStore(std::string storage_dir = "");

  // Loads the state file when present. Throws biodev::Error when it exists but cannot
  // be read or parsed (a stand-in must not silently start empty over real data).
  void load();
  std::string state_path() const;

  nlohmann::json list_collections() const;  // {"collections":[{"name":..}]}
  nlohmann::json collection_info(const std::string& name) const;
  bool exists(const std::string& name) const;
  void create_collection(const std::string& name, const nlohmann::json& body);  // 409 if taken
  bool delete_collection(const std::string& name);  // false when there was none

  // Points API. Bodies are Qdrant's request bodies; results its "result" values.
  nlohmann::json upsert(const std::string& name, const nlohmann::json& body);
  nlohmann::json delete_points(const std::string& name, const nlohmann::json& body);
  nlohmann::json get_point(const std::string& name, const std::string& id) const;
  nlohmann::json retrieve(const std::string& name, const nlohmann::json& body) const;
  nlohmann::json search(const std::string& name, const nlohmann::json& body) const;
  nlohmann::json query(const std::string& name, const nlohmann::json& body) const;
  nlohmann::json count(const std::string& name, const nlohmann::json& body) const;
  nlohmann::json scroll(const std::string& name, const nlohmann::json& body) const;

  // Payload indexes: the stand-in searches by brute force, so an index only records
  // its schema (shown in collection_info's payload_schema, kept on disk). `wait` false
  // answers "acknowledged", as Qdrant does.
  nlohmann::json create_index(const std::string& name, const nlohmann::json& body, bool wait);
  nlohmann::json delete_index(const std::string& name, const std::string& field, bool wait);

 private:
  struct Point {
    nlohmann::json id;  // unsigned integer or UUID string, as Qdrant returns it
    std::vector<float> vector;
    nlohmann::json payload = nlohmann::json::object();
    uint64_t version = 0;
  };
  struct Collection {
    int size = 0;
    Distance distance = Distance::kCosine;
    // Keyed so that integer ids sort before UUIDs, each in natural order (Qdrant's
    // scroll order).
    std::map<std::string, Point> points;
    std::map<std::string, std::string> payload_schema;  // field -> data_type ("keyword")
  };

  // The map key of a canonical id: integers ("n" + 20 digits) sort before UUIDs ("u" + uuid).
  static std::string key_of(const nlohmann::json& id);
  const Collection& get(const std::string& name) const;  // 404 QdrantError
  Collection& get(const std::string& name);
  nlohmann::json scored(const Collection& c, const std::vector<float>& query,
                        const nlohmann::json& body) const;
  void persist() const;  // caller holds the exclusive lock (qdrant_persist.cpp)

  std::string dir_;
  mutable std::shared_mutex mu_;
  std::map<std::string, Collection> collections_;
  uint64_t operation_id_ = 0;
};

// Canonical point id and its map key: a non-negative integer, or a UUID in any of
// Qdrant's accepted spellings (normalized to lowercase hyphenated). 400 QdrantError
// otherwise.
nlohmann::json normalize_point_id(const nlohmann::json& id);

}  // namespace biodev::serve
