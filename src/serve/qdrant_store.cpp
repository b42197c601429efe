#include "serve/qdrant_store.h"

#include <algorithm>
#include <mutex>

#include "serve/qdrant_filter.h"

namespace biodev::serve {

using json = nlohmann::json;
using Aliases = std::map<std::string, std::string>;
using Collections = std::map<std::string, QdrantCollection>;

namespace {

constexpr const char* kSchemaTypes[] = {"keyword", "integer", "float",    "bool",
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

json payload_schema_info(const QdrantCollection& c) {
  json out = json::object();
  for (const auto& [field, type] : c.payload_schema) {
    size_t n = 0;
    for (const auto& [key, p] : c.points) {
      const json* v = payload_at_key(p.payload, field);
      n += v && !v->is_null() ? 1 : 0;
    }
    out[field] = {{"data_type", type}, {"points", n}};
  }
  return out;
}

json collection_params(const QdrantCollection& c) {
  return {{"vectors", {{"size", c.size}, {"distance", distance_name(c.distance)}}},
          {"shard_number", 1},
          {"replication_factor", 1},
          {"write_consistency_factor", 1},
          {"on_disk_payload", true}};
}

// The collection an alias names, or `name` itself.
const std::string& aliased(const Aliases& aliases, const std::string& name) {
  auto it = aliases.find(name);
  return it == aliases.end() ? name : it->second;
}

std::string text_field(const json& op, const char* key) {
  json v = op.is_object() ? request_field(op, key, json()) : json();
  if (!v.is_string() || v.get_ref<const std::string&>().empty())
    throw QdrantError(400, std::string("Format error in JSON body: missing field `") + key + "`");
  return v.get<std::string>();
}

void alias_action(const Collections& collections, Aliases& aliases, const json& action) {
  if (action.contains("create_alias")) {
    std::string collection = text_field(action["create_alias"], "collection_name");
    std::string alias = text_field(action["create_alias"], "alias_name");
    if (!collections.count(collection))
      throw QdrantError(404, "Not found: Collection `" + collection + "` doesn't exist!");
    if (collections.count(alias))
      throw QdrantError(400, "Wrong input: Collection `" + alias + "` already exists!");
    aliases[alias] = collection;
  } else if (action.contains("delete_alias")) {
    aliases.erase(text_field(action["delete_alias"], "alias_name"));
  } else if (action.contains("rename_alias")) {
    std::string old_name = text_field(action["rename_alias"], "old_alias_name");
    std::string new_name = text_field(action["rename_alias"], "new_alias_name");
    auto it = aliases.find(old_name);
    if (it == aliases.end())
      throw QdrantError(404, "Not found: Alias " + old_name + " does not exists!");
    std::string target = it->second;
    aliases.erase(it);
    aliases[new_name] = target;
  } else {
    throw QdrantError(400, "Format error in JSON body: unknown alias action " + action.dump() +
                               ", expected one of `create_alias`, `delete_alias`, "
                               "`rename_alias`");
  }
}

json alias_list(const Aliases& aliases, const std::string* collection) {
  json out = json::array();
  for (const auto& [alias, target] : aliases)
    if (!collection || target == *collection)
      out.push_back({{"alias_name", alias}, {"collection_name", target}});
  return {{"aliases", out}};
}

json update_result(uint64_t op, bool wait) {
  return {{"operation_id", op}, {"status", wait ? "completed" : "acknowledged"}};
}

}  // namespace

void check_collection_name(const std::string& name) {
  if (name.empty() || name.size() > 255 || name == "." || name == ".." ||
      name.find_first_of(std::string_view("/\\\0", 3)) != std::string::npos)
    throw QdrantError(400,
                      "Validation error in path parameters: collection name must be 1-255 "
                      "characters, without `/`, `\\` or NUL, and not `.` or `..`");
}

QdrantStore::QdrantStore(std::string storage_dir, std::string snapshots_dir)
    : dir_(std::move(storage_dir)),
      snapshots_(!snapshots_dir.empty() ? std::move(snapshots_dir)
                 : dir_.empty()         ? std::string()
                                        : dir_ + "/snapshots") {}

std::string QdrantStore::state_path() const {
  return dir_.empty() ? "" : dir_ + "/biodev-qdrant-standin.json";
}

const std::string& QdrantStore::resolve(const std::string& name) const {
  const std::string& target = aliased(aliases_, name);
  if (!collections_.count(target))
    throw QdrantError(404, "Not found: Collection `" + target + "` doesn't exist!");
  return target;
}

QdrantCollection* QdrantStore::lookup(const std::string& name) {
  auto it = collections_.find(aliased(aliases_, name));
  return it == collections_.end() ? nullptr : &it->second;
}

const QdrantCollection& QdrantStore::get(const std::string& name) const {
  return collections_.find(resolve(name))->second;
}

QdrantCollection& QdrantStore::get(const std::string& name) {
  return const_cast<QdrantCollection&>(std::as_const(*this).get(name));
}

json QdrantStore::list_collections() const {
  std::shared_lock lock(mu_);
  json list = json::array();
  for (const auto& [name, c] : collections_) list.push_back({{"name", name}});
  return {{"collections", list}};
}

bool QdrantStore::exists(const std::string& name) const {
  std::shared_lock lock(mu_);
  return collections_.count(aliased(aliases_, name)) > 0;
}

json QdrantStore::collection_info(const std::string& name) const {
  std::shared_lock lock(mu_);
  const QdrantCollection& c = get(name);
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
           {{"params", collection_params(c)},
            {"hnsw_config", hnsw},
            {"optimizer_config", optimizer},
            {"wal_config", {{"wal_capacity_mb", 32}, {"wal_segments_ahead", 0}}},
            {"quantization_config", nullptr}}},
          {"payload_schema", payload_schema_info(c)}};
}

void QdrantStore::create_collection(const std::string& name, const json& body) {
  check_collection_name(name);
  refuse_fields(body, {"sparse_vectors", "init_from"});
  json vectors = body.is_object() ? body.value("vectors", json()) : json();
  refuse_fields(vectors, {"multivector_config"});
  if (!vectors.is_object() || !vectors.contains("size"))
    throw QdrantError(400, vectors.is_object() && !vectors.empty()
                               ? kNoNamedVectors
                               : "Format error in JSON body: missing field `vectors`");
  const json& size = vectors["size"];
  if (!size.is_number_integer() || size.get<long long>() < 1 || size.get<long long>() > 65536)
    throw QdrantError(400, "Validation error in JSON body: vectors.size must be from 1 to 65536");
  QdrantCollection c;
  c.size = size.get<int>();
  c.distance = parse_distance(vectors.value("distance", json()));
  std::unique_lock lock(mu_);
  if (collections_.count(name))
    throw QdrantError(409, "Wrong input: Collection `" + name + "` already exists!");
  if (aliases_.count(name))
    throw QdrantError(400, "Wrong input: Can't create collection with name " + name +
                               ". Alias with the same name already exists");
  collections_.emplace(name, std::move(c));
  persist();
}

bool QdrantStore::delete_collection(const std::string& name) {
  std::unique_lock lock(mu_);
  if (!collections_.erase(name)) return false;
  std::erase_if(aliases_, [&](const auto& kv) { return kv.second == name; });
  persist();
  return true;
}

bool QdrantStore::update_collection(const std::string& name, const json& body) {
  refuse_fields(body, {"sparse_vectors"});
  json vectors = request_field(body, "vectors", json::object());
  for (const auto& [vector, diff] : vectors.items())
    if (!vector.empty())
      throw QdrantError(400, "Wrong input: Not existing vector name error: " + vector);
  std::shared_lock lock(mu_);
  get(name);
  return true;
}

bool QdrantStore::update_aliases(const json& body) {
  json actions = request_field(body, "actions", json());
  if (!actions.is_array())
    throw QdrantError(400, "Format error in JSON body: missing field `actions`");
  std::unique_lock lock(mu_);
  Aliases changed = aliases_;
  for (const auto& action : actions) alias_action(collections_, changed, action);
  aliases_ = std::move(changed);
  persist();
  return true;
}

json QdrantStore::list_aliases() const {
  std::shared_lock lock(mu_);
  return alias_list(aliases_, nullptr);
}

// Qdrant lists the aliases of the name given, not of what it resolves to.
json QdrantStore::collection_aliases(const std::string& name) const {
  std::shared_lock lock(mu_);
  return alias_list(aliases_, &name);
}

json QdrantStore::get_point(const std::string& name, const std::string& id) const {
  json parsed = std::all_of(id.begin(), id.end(), ::isdigit) && !id.empty() && id.size() < 20
                    ? json(std::stoull(id))
                    : json(id);
  std::shared_lock lock(mu_);
  return point_json(find_point(get(name), parsed), true, true);
}

json QdrantStore::retrieve(const std::string& name, const json& body) const {
  json with_payload = request_field(body, "with_payload", true);
  json with_vector = request_field(body, "with_vector", false);
  std::shared_lock lock(mu_);
  const QdrantCollection& c = get(name);
  json out = json::array();
  for (const auto& id : request_field(body, "ids", json::array())) {
    auto it = c.points.find(point_key(normalize_point_id(id)));
    if (it != c.points.end()) out.push_back(point_json(it->second, with_payload, with_vector));
  }
  return out;
}

json QdrantStore::count(const std::string& name, const json& body) const {
  json filter = request_field(body, "filter", json());
  std::shared_lock lock(mu_);
  const QdrantCollection& c = get(name);
  if (filter.is_null()) return {{"count", c.points.size()}};
  size_t n = 0;
  for (const auto& [key, p] : c.points) n += filter_matches(filter, p.id, p.payload) ? 1 : 0;
  return {{"count", n}};
}

json QdrantStore::scroll(const std::string& name, const json& body) const {
  refuse_fields(body, {"order_by"});
  json filter = request_field(body, "filter", json());
  size_t limit = request_count(body, "limit", 10);
  json with_payload = request_field(body, "with_payload", true);
  json with_vector = request_field(body, "with_vector", false);
  json offset = request_field(body, "offset", json());
  std::shared_lock lock(mu_);
  const QdrantCollection& c = get(name);
  auto it = offset.is_null() ? c.points.begin()
                             : c.points.lower_bound(point_key(normalize_point_id(offset)));
  json points = json::array(), next = nullptr;
  for (; it != c.points.end(); ++it) {
    const QdrantPoint& p = it->second;
    if (!filter.is_null() && !filter_matches(filter, p.id, p.payload)) continue;
    if (points.size() == limit) {
      next = p.id;
      break;
    }
    points.push_back(point_json(p, with_payload, with_vector));
  }
  return {{"points", points}, {"next_page_offset", next}};
}

json QdrantStore::find_in(const std::string& kind, const QdrantCollection& c,
                          const json& body) const {
  json from = body.is_object() ? request_field(body, "lookup_from", json()) : json();
  if (!from.is_object()) return find_points(kind, c, c, body);
  return find_points(kind, c, get(text_field(from, "collection")), body);
}

json QdrantStore::find(const std::string& kind, const std::string& name, const json& body) const {
  std::shared_lock lock(mu_);
  return find_in(kind, get(name), body);
}

json QdrantStore::find_batch(const std::string& kind, const std::string& name,
                             const json& body) const {
  json searches = request_field(body, "searches", json());
  if (!searches.is_array())
    throw QdrantError(400, "Format error in JSON body: missing field `searches`");
  std::shared_lock lock(mu_);
  const QdrantCollection& c = get(name);
  json out = json::array();
  for (const auto& search : searches) out.push_back(find_in(kind, c, search));
  return out;
}

json QdrantStore::update(const std::string& name, bool wait, const Change& change) {
  std::unique_lock lock(mu_);
  QdrantCollection& c = get(name);
  uint64_t op = operation_id_ + 1;
  change(c, op);
  operation_id_ = op;
  persist();
  return update_result(op, wait);
}

json QdrantStore::update_points(const std::string& operation, const std::string& name,
                                const json& body, bool wait) {
  return update(name, wait,
                [&](QdrantCollection& c, uint64_t op) { apply_update(c, operation, body, op); });
}

json QdrantStore::batch_update(const std::string& name, const json& body, bool wait) {
  json operations = request_field(body, "operations", json());
  if (!operations.is_array())
    throw QdrantError(400, "Format error in JSON body: missing field `operations`");
  json result = update(name, wait, [&](QdrantCollection& c, uint64_t op) {
    QdrantCollection changed = c;  // a failing operation leaves `c` as it was
    for (const auto& o : operations) {
      if (!o.is_object() || o.size() != 1)
        throw QdrantError(400,
                          "Format error in JSON body: each operation is an object with "
                          "one key, its name (`upsert`, `set_payload`, ...)");
      apply_update(changed, o.begin().key(), o.begin().value(), op);
    }
    c = std::move(changed);
  });
  return json(std::vector<json>(operations.size(), result));
}

json QdrantStore::create_index(const std::string& name, const json& body, bool wait) {
  json field = request_field(body, "field_name", json());
  if (!field.is_string() || field.get_ref<const std::string&>().empty())
    throw QdrantError(400, "Format error in JSON body: missing field `field_name`");
  if (!body.contains("field_schema"))
    throw QdrantError(400, "Format error in JSON body: missing field `field_schema`");
  std::string type = parse_schema_type(body["field_schema"]);
  return update(name, wait, [&](QdrantCollection& c, uint64_t) {
    c.payload_schema[field.get<std::string>()] = type;
  });
}

// Like Qdrant, dropping an index that is not there succeeds.
json QdrantStore::delete_index(const std::string& name, const std::string& field, bool wait) {
  return update(name, wait, [&](QdrantCollection& c, uint64_t) { c.payload_schema.erase(field); });
}

}  // namespace biodev::serve
