// The changes of Qdrant's update API, each on one collection. Every change checks its
// whole body (and that the points it names exist) before it changes anything.
#include <algorithm>
#include <map>

#include "serve/qdrant_collection.h"
#include "serve/qdrant_filter.h"
#include "util/strings.h"

namespace biodev::serve {

using json = nlohmann::json;

namespace {

json object_or_empty(const json& v) { return v.is_object() ? v : json::object(); }

QdrantPoint make_point(const QdrantCollection& c, const json& id, const json& vector,
                       const json& payload) {
  return {normalize_point_id(id), parse_vector(vector, c), object_or_empty(payload)};
}

std::vector<QdrantPoint> batch_points(const QdrantCollection& c, const json& b) {
  json ids = b.value("ids", json::array()), vectors = b.value("vectors", json::array()),
       payloads = b.value("payloads", json());
  if (!ids.is_array() || !vectors.is_array() || ids.size() != vectors.size())
    throw QdrantError(400, "Wrong input: batch ids and vectors must be arrays of equal length");
  std::vector<QdrantPoint> out;
  for (size_t i = 0; i < ids.size(); ++i)
    out.push_back(make_point(c, ids[i], vectors[i],
                             payloads.is_array() && i < payloads.size() ? payloads[i] : json()));
  return out;
}

std::vector<QdrantPoint> listed_points(const QdrantCollection& c, const json& body) {
  if (!body.contains("points") || !body["points"].is_array())
    throw QdrantError(400, "Format error in JSON body: expected `points` or `batch`");
  std::vector<QdrantPoint> out;
  for (const auto& p : body["points"]) {
    if (!p.is_object() || !p.contains("id") || !p.contains("vector"))
      throw QdrantError(400, "Format error in JSON body: each point needs `id` and `vector`");
    out.push_back(make_point(c, p["id"], p["vector"], p.value("payload", json())));
  }
  return out;
}

void upsert(QdrantCollection& c, const json& body, uint64_t op) {
  std::vector<QdrantPoint> batch = body.contains("batch") && body["batch"].is_object()
                                       ? batch_points(c, body["batch"])
                                       : listed_points(c, body);
  for (auto& p : batch) {
    p.version = op;
    c.points[point_key(p.id)] = std::move(p);
  }
}

bool has_ids(const json& body) { return body.contains("points") && body["points"].is_array(); }
bool has_filter(const json& body) { return body.contains("filter") && body["filter"].is_object(); }

// The keys of the points a change names: `points` (ids; with `must_exist`, 404 for one
// that is missing) or `filter`. Collected before anything changes, so that a bad id or
// filter changes nothing.
std::vector<std::string> selected_keys(const QdrantCollection& c, const json& body,
                                       bool must_exist) {
  std::vector<std::string> keys;
  if (has_ids(body)) {
    for (const auto& id : body["points"])
      keys.push_back(must_exist ? point_key(find_point(c, id).id)
                                : point_key(normalize_point_id(id)));
  } else if (has_filter(body)) {
    for (const auto& [key, p] : c.points)
      if (filter_matches(body["filter"], p.id, p.payload)) keys.push_back(key);
  } else {
    throw QdrantError(400, "Bad request: Either list of point ids or filter must be provided");
  }
  return keys;
}

std::vector<QdrantPoint*> selected(QdrantCollection& c, const json& body) {
  std::vector<QdrantPoint*> out;
  for (const auto& key : selected_keys(c, body, true)) out.push_back(&c.points.at(key));
  return out;
}

void delete_points(QdrantCollection& c, const json& body, uint64_t) {
  for (const auto& key : selected_keys(c, body, false)) c.points.erase(key);
}

// The object at a dotted `key` of a payload, made (over whatever was there) when missing.
json& object_at(json& payload, const std::string& key) {
  json* cur = &payload;
  for (const auto& part : split(key, '.')) {
    if (!cur->is_object()) *cur = json::object();
    cur = &(*cur)[part];
  }
  if (!cur->is_object()) *cur = json::object();
  return *cur;
}

void erase_key(json& payload, const std::string& key) {
  size_t dot = key.rfind('.');
  const json* parent =
      dot == std::string::npos ? &payload : payload_at_key(payload, key.substr(0, dot));
  if (parent && parent->is_object())
    const_cast<json*>(parent)->erase(dot == std::string::npos ? key : key.substr(dot + 1));
}

// set_payload merges `payload` into each point's (or into the object at `key`);
// overwrite_payload replaces it.
template <bool kOverwrite>
void write_payload(QdrantCollection& c, const json& body, uint64_t op) {
  const json& payload = body.contains("payload") ? body["payload"] : json();
  if (!payload.is_object())
    throw QdrantError(400, "Format error in JSON body: missing field `payload` (an object)");
  json key = body.value("key", json());
  if (!key.is_null() && !key.is_string())
    throw QdrantError(400, "Format error in JSON body: `key` must be a string");
  for (QdrantPoint* p : selected(c, body)) {
    json& target = key.is_string() ? object_at(p->payload, key.get<std::string>()) : p->payload;
    if (kOverwrite)
      target = payload;
    else
      target.update(payload);
    p->version = op;
  }
}

void delete_payload(QdrantCollection& c, const json& body, uint64_t op) {
  json keys = body.value("keys", json());
  if (!keys.is_array() ||
      !std::all_of(keys.begin(), keys.end(), [](const json& k) { return k.is_string(); }))
    throw QdrantError(400, "Format error in JSON body: missing field `keys` (a list of strings)");
  for (QdrantPoint* p : selected(c, body)) {
    for (const auto& k : keys) erase_key(p->payload, k.get<std::string>());
    p->version = op;
  }
}

void clear_payload(QdrantCollection& c, const json& body, uint64_t op) {
  for (QdrantPoint* p : selected(c, body)) {
    p->payload = json::object();
    p->version = op;
  }
}

void update_vectors(QdrantCollection& c, const json& body, uint64_t op) {
  if (!has_ids(body)) throw QdrantError(400, "Format error in JSON body: missing field `points`");
  std::vector<std::pair<QdrantPoint*, std::vector<float>>> changes;
  for (const auto& p : body["points"]) {
    if (!p.is_object() || !p.contains("id") || !p.contains("vector"))
      throw QdrantError(400, "Format error in JSON body: each point needs `id` and `vector`");
    changes.emplace_back(const_cast<QdrantPoint*>(&find_point(c, p["id"])),
                         parse_vector(p["vector"], c));
  }
  for (auto& [point, vector] : changes) {
    point->vector = std::move(vector);
    point->version = op;
  }
}

// The stand-in's one vector is Qdrant's default (unnamed) vector, named "".
void delete_vectors(QdrantCollection& c, const json& body, uint64_t op) {
  json names = body.value("vector", json());
  if (!names.is_array())
    throw QdrantError(400, "Format error in JSON body: missing field `vector`");
  for (const auto& n : names)
    if (n != "")
      throw QdrantError(400, "Wrong input: Not existing vector name error: " +
                                 (n.is_string() ? n.get<std::string>() : n.dump()));
  for (QdrantPoint* p : selected(c, body)) {
    if (!names.empty()) p->vector.clear();
    p->version = op;
  }
}

using Apply = void (*)(QdrantCollection&, const json&, uint64_t);

const std::map<std::string, Apply, std::less<>>& appliers() {
  static const std::map<std::string, Apply, std::less<>> kAppliers = {
      {"upsert", upsert},
      {"delete", delete_points},
      {"set_payload", write_payload<false>},
      {"overwrite_payload", write_payload<true>},
      {"delete_payload", delete_payload},
      {"clear_payload", clear_payload},
      {"update_vectors", update_vectors},
      {"delete_vectors", delete_vectors}};
  return kAppliers;
}

}  // namespace

void apply_update(QdrantCollection& c, const std::string& operation, const json& body,
                  uint64_t op) {
  auto it = appliers().find(operation);
  if (it == appliers().end())
    throw QdrantError(400, "Format error in JSON body: unknown variant `" + operation +
                               "`, expected one of `upsert`, `delete`, `set_payload`, "
                               "`overwrite_payload`, `delete_payload`, `clear_payload`, "
                               "`update_vectors`, `delete_vectors`");
  if (!body.is_object())
    throw QdrantError(400, "Format error in JSON body: `" + operation + "` expects an object");
  it->second(c, body, op);
}

}  // namespace biodev::serve
