#include "serve/qdrant_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <mutex>

#include "serve/qdrant_filter.h"
#include "util/error.h"

namespace biodev::serve {

using json = nlohmann::json;

namespace {

constexpr std::pair<Distance, const char*> kDistances[] = {{Distance::kCosine, "Cosine"},
                                                           {Distance::kDot, "Dot"},
                                                           {Distance::kEuclid, "Euclid"},
                                                           {Distance::kManhattan, "Manhattan"}};

}  // namespace

const char* distance_name(Distance d) {
  for (const auto& [dist, name] : kDistances)
    if (dist == d) return name;
  return "Cosine";
}

Distance parse_distance(const json& v) {
  if (v.is_string())
    for (const auto& [dist, name] : kDistances)
      if (v.get_ref<const std::string&>() == name) return dist;
  throw QdrantError(400, "Format error in JSON body: unknown variant `" +
                             (v.is_string() ? v.get<std::string>() : v.dump()) +
                             "`, expected one of `Cosine`, `Euclid`, `Dot`, `Manhattan`");
}

namespace {

bool lower_than(Distance d) { return d == Distance::kEuclid || d == Distance::kManhattan; }

double score(Distance d, const std::vector<float>& a, const std::vector<float>& b) {
  double acc = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    double x = a[i], y = b[i];
    switch (d) {
      case Distance::kCosine:
      case Distance::kDot:
        acc += x * y;
        break;
      case Distance::kEuclid:
        acc += (x - y) * (x - y);
        break;
      case Distance::kManhattan:
        acc += std::abs(x - y);
        break;
    }
  }
  return d == Distance::kEuclid ? std::sqrt(acc) : acc;
}

void normalize(std::vector<float>& v) {
  double n2 = 0;
  for (float x : v) n2 += static_cast<double>(x) * x;
  if (n2 <= 0) return;
  double n = std::sqrt(n2);
  for (float& x : v) x = static_cast<float>(x / n);
}

std::vector<float> parse_vector(const json& v, int size) {
  if (v.is_object())
    throw QdrantError(400,
                      "Wrong input: named vectors are not supported by the "
                      "biodev qdrant stand-in");
  if (!v.is_array() ||
      !std::all_of(v.begin(), v.end(), [](const json& x) { return x.is_number(); }))
    throw QdrantError(400, "Format error in JSON body: vector must be an array of numbers");
  if (static_cast<int>(v.size()) != size)
    throw QdrantError(
        400, fmt::format("Wrong input: Vector dimension error: expected dim: {}, got {}", size,
                         v.size()));
  std::vector<float> out;
  out.reserve(v.size());
  for (const auto& x : v) out.push_back(x.get<float>());
  return out;
}

// with_payload: true/false, a list of keys to include, or {"include"|"exclude": [...]}.
json select_payload(const json& payload, const json& with) {
  if (with.is_boolean()) return with.get<bool>() ? payload : json(nullptr);
  json include = with.is_array() ? with : with.value("include", json());
  json out = json::object();
  if (include.is_array()) {
    for (const auto& k : include)
      if (k.is_string() && payload.contains(k.get<std::string>()))
        out[k.get<std::string>()] = payload[k.get<std::string>()];
    return out;
  }
  out = payload;
  for (const auto& k : with.value("exclude", json::array()))
    if (k.is_string()) out.erase(k.get<std::string>());
  return out;
}

constexpr const char* kSchemaTypes[] = {"keyword", "integer", "float", "bool",
                                        "geo",     "text",    "datetime", "uuid"};

// field_schema is a type name or {"type": name, ...params}; the params tune Qdrant's
// index structures, which the stand-in does not build.
std::string parse_schema_type(const json& schema) {
  json type = schema.is_object() ? schema.value("type", json()) : schema;
  if (type.is_string())
    for (const char* t : kSchemaTypes)
      if (type.get_ref<const std::string&>() == t) return t;
  throw QdrantError(400, "Format error in JSON body: unknown variant `" +
                             (type.is_string() ? type.get<std::string>() : type.dump()) +
                             "`, expected one of `keyword`, `integer`, `float`, `bool`, `geo`, "
                             "`text`, `datetime`, `uuid`");
}

template <class Points>
json payload_schema_info(const std::map<std::string, std::string>& schema, const Points& points) {
  json out = json::object();
  for (const auto& [field, type] : schema) {
    size_t n = 0;
    for (const auto& [key, p] : points) {
      const json* v = payload_at_key(p.payload, field);
      n += v && !v->is_null() ? 1 : 0;
    }
    out[field] = {{"data_type", type}, {"points", n}};
  }
  return out;
}

}  // namespace

json normalize_point_id(const json& id) {
  if (id.is_number_unsigned() || (id.is_number_integer() && id.get<int64_t>() >= 0))
    return id.get<uint64_t>();
  if (id.is_string()) {
    std::string hex;
    for (char c : id.get<std::string>())
      if (c != '-' && c != '{' && c != '}') hex += static_cast<char>(std::tolower(c));
    if (hex.starts_with("urn:uuid:")) hex = hex.substr(9);
    if (hex.size() == 32 && std::all_of(hex.begin(), hex.end(), ::isxdigit))
      return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
             hex.substr(16, 4) + "-" + hex.substr(20);
  }
  throw QdrantError(400, "Format error in JSON body: point id " + id.dump() +
                             " is neither an unsigned integer nor a UUID");
}

std::string QdrantStore::key_of(const json& id) {
  return id.is_string() ? "u" + id.get<std::string>() : fmt::format("n{:020}", id.get<uint64_t>());
}

QdrantStore::QdrantStore(std::string storage_dir) : dir_(std::move(storage_dir)) {}

std::string QdrantStore::state_path() const {
  return dir_.empty() ? "" : dir_ + "/biodev-qdrant-standin.json";
}

const QdrantStore::Collection& QdrantStore::get(const std::string& name) const {
  auto it = collections_.find(name);
  if (it == collections_.end())
    throw QdrantError(404, "Not found: Collection `" + name + "` doesn't exist!");
  return it->second;
}

QdrantStore::Collection& QdrantStore::get(const std::string& name) {
  return const_cast<Collection&>(std::as_const(*this).get(name));
}

json QdrantStore::list_collections() const {
  std::shared_lock lock(mu_);
  json list = json::array();
  for (const auto& [name, c] : collections_) list.push_back({{"name", name}});
  return {{"collections", list}};
}

bool QdrantStore::exists(const std::string& name) const {
  std::shared_lock lock(mu_);
  return collections_.count(name) > 0;
}

json QdrantStore::collection_info(const std::string& name) const {
  std::shared_lock lock(mu_);
  const Collection& c = get(name);
  json params = {{"vectors", {{"size", c.size}, {"distance", distance_name(c.distance)}}},
                 {"shard_number", 1},
                 {"replication_factor", 1},
                 {"write_consistency_factor", 1},
                 {"on_disk_payload", true}};
  json hnsw = {{"m", 16},
               {"ef_construct", 100},
               {"full_scan_threshold", 10000},
               {"max_indexing_threads", 0},
               {"on_disk", false}};
  json optimizer = {{"deleted_threshold", 0.2},    {"vacuum_min_vector_number", 1000},
                    {"default_segment_number", 0}, {"max_segment_size", nullptr},
                    {"memmap_threshold", nullptr}, {"indexing_threshold", 20000},
                    {"flush_interval_sec", 5},     {"max_optimization_threads", nullptr}};
  return {{"status", "green"},
          {"optimizer_status", "ok"},
          {"indexed_vectors_count", 0},
          {"points_count", c.points.size()},
          {"segments_count", 1},
          {"config",
           {{"params", params},
            {"hnsw_config", hnsw},
            {"optimizer_config", optimizer},
            {"wal_config", {{"wal_capacity_mb", 32}, {"wal_segments_ahead", 0}}},
            {"quantization_config", nullptr}}},
          {"payload_schema", payload_schema_info(c.payload_schema, c.points)}};
}

void QdrantStore::create_collection(const std::string& name, const json& body) {
  if (name.empty() || name.size() > 255)
    throw QdrantError(400,
                      "Validation error in path parameters: collection name must be 1-255 "
                      "characters");
  json vectors = body.is_object() ? body.value("vectors", json()) : json();
  if (!vectors.is_object() || !vectors.contains("size"))
    throw QdrantError(400, vectors.is_object() && !vectors.empty()
                               ? "Wrong input: named vectors are not supported by the biodev "
                                 "qdrant stand-in"
                               : "Format error in JSON body: missing field `vectors`");
  const json& size = vectors["size"];
  if (!size.is_number_integer() || size.get<long long>() < 1 || size.get<long long>() > 65536)
    throw QdrantError(400, "Validation error in JSON body: vectors.size must be from 1 to 65536");
  Collection c;
  c.size = size.get<int>();
  c.distance = parse_distance(vectors.value("distance", json()));
  std::unique_lock lock(mu_);
  if (collections_.count(name))
    throw QdrantError(409, "Wrong input: Collection `" + name + "` already exists!");
  collections_.emplace(name, std::move(c));
  persist();
}

bool QdrantStore::delete_collection(const std::string& name) {
  std::unique_lock lock(mu_);
  if (!collections_.erase(name)) return false;
  persist();
  return true;
}

json QdrantStore::upsert(const std::string& name, const json& body) {
  std::unique_lock lock(mu_);
  Collection& c = get(name);
  std::vector<Point> batch;
  if (body.contains("batch")) {
    const json& b = body["batch"];
    json ids = b.value("ids", json::array()), vectors = b.value("vectors", json::array()),
         payloads = b.value("payloads", json());
    if (!ids.is_array() || !vectors.is_array() || ids.size() != vectors.size())
      throw QdrantError(400, "Wrong input: batch ids and vectors must be arrays of equal length");
    for (size_t i = 0; i < ids.size(); ++i) {
      json payload = payloads.is_array() && i < payloads.size() ? payloads[i] : json::object();
      batch.push_back({normalize_point_id(ids[i]), parse_vector(vectors[i], c.size),
                       payload.is_object() ? payload : json::object()});
    }
  } else if (body.contains("points") && body["points"].is_array()) {
    for (const auto& p : body["points"]) {
      if (!p.is_object() || !p.contains("id") || !p.contains("vector"))
        throw QdrantError(400, "Format error in JSON body: each point needs `id` and `vector`");
      json payload = p.value("payload", json::object());
      batch.push_back({normalize_point_id(p["id"]), parse_vector(p["vector"], c.size),
                       payload.is_object() ? payload : json::object()});
    }
  } else {
    throw QdrantError(400, "Format error in JSON body: expected `points` or `batch`");
  }
  uint64_t op = ++operation_id_;
  for (auto& p : batch) {
    if (c.distance == Distance::kCosine) normalize(p.vector);
    p.version = op;
    c.points[key_of(p.id)] = std::move(p);
  }
  persist();
  return {{"operation_id", op}, {"status", "completed"}};
}

json QdrantStore::delete_points(const std::string& name, const json& body) {
  std::unique_lock lock(mu_);
  Collection& c = get(name);
  if (body.contains("points") && body["points"].is_array()) {
    for (const auto& id : body["points"]) c.points.erase(key_of(normalize_point_id(id)));
  } else if (body.contains("filter")) {
    std::erase_if(c.points, [&](const auto& kv) {
      return filter_matches(body["filter"], kv.second.id, kv.second.payload);
    });
  } else {
    throw QdrantError(400, "Format error in JSON body: expected `points` or `filter`");
  }
  uint64_t op = ++operation_id_;
  persist();
  return {{"operation_id", op}, {"status", "completed"}};
}

json QdrantStore::get_point(const std::string& name, const std::string& id) const {
  json parsed = std::all_of(id.begin(), id.end(), ::isdigit) && !id.empty() && id.size() < 20
                    ? json(std::stoull(id))
                    : json(id);
  json key_id = normalize_point_id(parsed);
  std::shared_lock lock(mu_);
  const Collection& c = get(name);
  auto it = c.points.find(key_of(key_id));
  if (it == c.points.end())
    throw QdrantError(404, "Not found: No point with id " + key_id.dump() + " found");
  return {{"id", it->second.id}, {"payload", it->second.payload}, {"vector", it->second.vector}};
}

json QdrantStore::retrieve(const std::string& name, const json& body) const {
  json with_payload = body.value("with_payload", json(true));
  bool with_vector = body.value("with_vector", json(false)) != json(false);
  std::shared_lock lock(mu_);
  const Collection& c = get(name);
  json out = json::array();
  for (const auto& id : body.value("ids", json::array())) {
    auto it = c.points.find(key_of(normalize_point_id(id)));
    if (it == c.points.end()) continue;
    out.push_back({{"id", it->second.id},
                   {"payload", select_payload(it->second.payload, with_payload)},
                   {"vector", with_vector ? json(it->second.vector) : json(nullptr)}});
  }
  return out;
}

json QdrantStore::scored(const Collection& c, const std::vector<float>& query,
                         const json& body) const {
  std::vector<float> q = query;
  if (c.distance == Distance::kCosine) normalize(q);
  json filter = body.value("filter", json());
  bool ascending = lower_than(c.distance);
  std::vector<std::pair<double, const Point*>> hits;
  for (const auto& [key, p] : c.points) {
    if (!filter.is_null() && !filter_matches(filter, p.id, p.payload)) continue;
    double s = score(c.distance, q, p.vector);
    if (body.contains("score_threshold") && body["score_threshold"].is_number()) {
      double t = body["score_threshold"].get<double>();
      if (ascending ? s > t : s < t) continue;
    }
    hits.emplace_back(s, &p);
  }
  std::stable_sort(hits.begin(), hits.end(), [ascending](const auto& a, const auto& b) {
    return ascending ? a.first < b.first : a.first > b.first;
  });
  size_t offset = body.value("offset", 0u), limit = body.value("limit", 10u);
  json with_payload = body.value("with_payload", json(false));
  bool with_vector = body.value("with_vector", json(false)) != json(false);
  json out = json::array();
  for (size_t i = offset; i < hits.size() && i < offset + limit; ++i) {
    const Point& p = *hits[i].second;
    out.push_back({{"id", p.id},
                   {"version", p.version},
                   {"score", static_cast<float>(hits[i].first)},
                   {"payload", select_payload(p.payload, with_payload)},
                   {"vector", with_vector ? json(p.vector) : json(nullptr)}});
  }
  return out;
}

json QdrantStore::search(const std::string& name, const json& body) const {
  std::shared_lock lock(mu_);
  const Collection& c = get(name);
  if (!body.contains("vector"))
    throw QdrantError(400, "Format error in JSON body: missing field `vector`");
  return scored(c, parse_vector(body["vector"], c.size), body);
}

json QdrantStore::query(const std::string& name, const json& body) const {
  std::shared_lock lock(mu_);
  const Collection& c = get(name);
  json q = body.value("query", json());
  if (q.is_object() && q.contains("nearest")) q = q["nearest"];
  std::vector<float> vec;
  if (q.is_array()) {
    vec = parse_vector(q, c.size);
  } else if (q.is_number() || q.is_string()) {  // a point id: search by its vector
    auto it = c.points.find(key_of(normalize_point_id(q)));
    if (it == c.points.end()) throw QdrantError(404, "Not found: No point with id " + q.dump());
    vec = it->second.vector;
  } else {
    throw QdrantError(400,
                      "Wrong input: the biodev qdrant stand-in supports `query` as a vector, "
                      "{\"nearest\": vector} or a point id");
  }
  return {{"points", scored(c, vec, body)}};
}

json QdrantStore::count(const std::string& name, const json& body) const {
  json filter = body.value("filter", json());
  std::shared_lock lock(mu_);
  const Collection& c = get(name);
  if (filter.is_null()) return {{"count", c.points.size()}};
  size_t n = 0;
  for (const auto& [key, p] : c.points) n += filter_matches(filter, p.id, p.payload) ? 1 : 0;
  return {{"count", n}};
}

json QdrantStore::scroll(const std::string& name, const json& body) const {
  json filter = body.value("filter", json());
  size_t limit = body.value("limit", 10u);
  json with_payload = body.value("with_payload", json(true));
  bool with_vector = body.value("with_vector", json(false)) != json(false);
  std::shared_lock lock(mu_);
  const Collection& c = get(name);
  auto it = c.points.begin();
  if (body.contains("offset") && !body["offset"].is_null())
    it = c.points.lower_bound(key_of(normalize_point_id(body["offset"])));
  json points = json::array(), next = nullptr;
  for (; it != c.points.end(); ++it) {
    const Point& p = it->second;
    if (!filter.is_null() && !filter_matches(filter, p.id, p.payload)) continue;
    if (points.size() == limit) {
      next = p.id;
      break;
    }
    points.push_back({{"id", p.id},
                      {"payload", select_payload(p.payload, with_payload)},
                      {"vector", with_vector ? json(p.vector) : json(nullptr)}});
  }
  return {{"points", points}, {"next_page_offset", next}};
}

json QdrantStore::create_index(const std::string& name, const json& body, bool wait) {
  json field = body.value("field_name", json());
  if (!field.is_string() || field.get_ref<const std::string&>().empty())
    throw QdrantError(400, "Format error in JSON body: missing field `field_name`");
  if (!body.contains("field_schema"))
    throw QdrantError(400, "Format error in JSON body: missing field `field_schema`");
  std::string type = parse_schema_type(body["field_schema"]);
  std::unique_lock lock(mu_);
  Collection& c = get(name);
  c.payload_schema[field.get<std::string>()] = type;
  uint64_t op = ++operation_id_;
  persist();
  return {{"operation_id", op}, {"status", wait ? "completed" : "acknowledged"}};
}

// Like Qdrant, dropping an index that is not there succeeds.
json QdrantStore::delete_index(const std::string& name, const std::string& field, bool wait) {
  std::unique_lock lock(mu_);
  Collection& c = get(name);
  c.payload_schema.erase(field);
  uint64_t op = ++operation_id_;
  persist();
  return {{"operation_id", op}, {"status", wait ? "completed" : "acknowledged"}};
}

}  // namespace biodev::serve
