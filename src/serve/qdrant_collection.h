// One collection of the Qdrant stand-in and what is done to it: the point and
// collection types, the changes of Qdrant's update API (qdrant_update.cpp), the searches
// (qdrant_search.cpp) and the JSON form kept on disk and in snapshots
// (qdrant_persist.cpp). No locking here: QdrantStore (qdrant_store.h) holds the lock and
// names the collections. Requests and results are Qdrant's REST JSON shapes.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <nlohmann/json.hpp>
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

inline constexpr const char* kNoNamedVectors =
    "Wrong input: named vectors are not supported by the biodev qdrant stand-in";

// 400 QdrantError unless `name` can name a collection (and its snapshots' folder):
// 1-255 characters, no `/`, `\` or NUL, not `.` or `..` (qdrant_store.cpp).
void check_collection_name(const std::string& name);

enum class Distance { kCosine, kDot, kEuclid, kManhattan };
const char* distance_name(Distance d);  // "Cosine"
// Qdrant's names, case-sensitive as in Qdrant; 400 QdrantError otherwise.
Distance parse_distance(const nlohmann::json& name);

struct QdrantPoint {
  nlohmann::json id;          // unsigned integer or UUID string, as Qdrant returns it
  std::vector<float> vector;  // empty once its vector is deleted (delete_vectors)
  nlohmann::json payload = nlohmann::json::object();
  uint64_t version = 0;  // the operation that last changed it
};

struct QdrantCollection {
  int size = 0;
  Distance distance = Distance::kCosine;
  // Keyed by point_key, so that integer ids sort before UUIDs, each in natural order
  // (Qdrant's scroll order).
  std::map<std::string, QdrantPoint> points;
  std::map<std::string, std::string> payload_schema;  // field -> data_type ("keyword")
};

// Canonical point id: a non-negative integer, or a UUID in any of Qdrant's accepted
// spellings (normalized to lowercase hyphenated). 400 QdrantError otherwise.
nlohmann::json normalize_point_id(const nlohmann::json& id);
// The map key of a canonical id: integers ("n" + 20 digits) sort before UUIDs ("u" + uuid).
std::string point_key(const nlohmann::json& id);
// The point with this (not yet normalized) id; 404 QdrantError when there is none.
const QdrantPoint& find_point(const QdrantCollection& c, const nlohmann::json& id);

// A vector of the collection's size; 400 QdrantError naming what is wrong. Cosine
// collections keep and compare unit vectors, as Qdrant does.
std::vector<float> parse_vector(const nlohmann::json& v, const QdrantCollection& c);
void normalize(std::vector<float>& v);

// A request field, `fallback` when it is absent or null (clients send null for
// "unset"); request_count is one that must be a non-negative integer (400 otherwise).
nlohmann::json request_field(const nlohmann::json& body, const char* key, nlohmann::json fallback);
size_t request_count(const nlohmann::json& body, const char* key, size_t fallback);

// 400 QdrantError naming the first of `fields` the request sets (to anything but null
// or an empty list): what the stand-in does not do, refused rather than ignored.
void refuse_fields(const nlohmann::json& body, std::initializer_list<const char*> fields);

// A point as retrieve and scroll return it; `with_payload` and `with_vector` are the
// request's fields of those names.
nlohmann::json point_json(const QdrantPoint& p, const nlohmann::json& with_payload,
                          const nlohmann::json& with_vector);

// Applies one change of Qdrant's update API to `c`, by the name batch updates give it
// ("upsert", "delete", "set_payload", "overwrite_payload", "delete_payload",
// "clear_payload", "update_vectors", "delete_vectors"); `body` is that change's request
// body. Throws QdrantError before changing anything when the body is wrong or names a
// missing point. `op` is the operation's id (the version of the points it changes).
void apply_update(QdrantCollection& c, const std::string& operation, const nlohmann::json& body,
                  uint64_t op);

// A search by kind: "search", "query", "recommend", "search/groups", "query/groups",
// "recommend/groups"; `body` is its request body, `lookup` the collection recommend
// examples given as ids come from (`c` unless lookup_from names another).
nlohmann::json find_points(const std::string& kind, const QdrantCollection& c,
                           const QdrantCollection& lookup, const nlohmann::json& body);

// The collection as JSON (config, payload schema, points with base64 float32 vectors,
// so values round-trip exactly) and back; the state file and snapshots use it.
nlohmann::json collection_to_json(const QdrantCollection& c);
QdrantCollection collection_from_json(const nlohmann::json& j);  // throws on bad input

}  // namespace biodev::serve
