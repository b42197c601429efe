#include "serve/qdrant_collection.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace biodev::serve {

using json = nlohmann::json;

namespace {

constexpr std::pair<Distance, const char*> kDistances[] = {{Distance::kCosine, "Cosine"},
                                                           {Distance::kDot, "Dot"},
                                                           {Distance::kEuclid, "Euclid"},
                                                           {Distance::kManhattan, "Manhattan"}};

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

std::string point_key(const json& id) {
  return id.is_string() ? fmt::format("u{}", id.get_ref<const std::string&>())
                        : fmt::format("n{:020}", id.get<uint64_t>());
}

const QdrantPoint& find_point(const QdrantCollection& c, const json& id) {
  json canonical = normalize_point_id(id);
  auto it = c.points.find(point_key(canonical));
  if (it == c.points.end())
    throw QdrantError(404, "Not found: No point with id " + canonical.dump() + " found");
  return it->second;
}

void normalize(std::vector<float>& v) {
  double n2 = 0;
  for (float x : v) n2 += static_cast<double>(x) * x;
  if (n2 <= 0) return;
  double n = std::sqrt(n2);
  for (float& x : v) x = static_cast<float>(x / n);
}

std::vector<float> parse_vector(const json& v, const QdrantCollection& c) {
  if (v.is_object()) throw QdrantError(400, kNoNamedVectors);
  if (!v.is_array() ||
      !std::all_of(v.begin(), v.end(), [](const json& x) { return x.is_number(); }))
    throw QdrantError(400, "Format error in JSON body: vector must be an array of numbers");
  if (static_cast<int>(v.size()) != c.size)
    throw QdrantError(
        400, fmt::format("Wrong input: Vector dimension error: expected dim: {}, got {}", c.size,
                         v.size()));
  std::vector<float> out;
  out.reserve(v.size());
  for (const auto& x : v) out.push_back(x.get<float>());
  if (c.distance == Distance::kCosine) normalize(out);
  return out;
}

json request_field(const json& body, const char* key, json fallback) {
  auto it = body.find(key);
  return it == body.end() || it->is_null() ? fallback : *it;
}

size_t request_count(const json& body, const char* key, size_t fallback) {
  json v = request_field(body, key, fallback);
  if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<int64_t>() >= 0))
    throw QdrantError(400, std::string("Format error in JSON body: `") + key +
                               "` must be a non-negative integer");
  return v.get<size_t>();
}

void refuse_fields(const json& body, std::initializer_list<const char*> fields) {
  for (const char* f : fields) {
    json v = request_field(body, f, json());
    if (!v.is_null() && !(v.is_array() && v.empty()))
      throw QdrantError(400, std::string("Wrong input: `") + f +
                                 "` is not supported by the biodev qdrant stand-in");
  }
}

json point_json(const QdrantPoint& p, const json& with_payload, const json& with_vector) {
  json vector = nullptr;
  if (with_vector != json(false) && !with_vector.is_null())
    vector = p.vector.empty() ? json::object() : json(p.vector);
  return {{"id", p.id}, {"payload", select_payload(p.payload, with_payload)}, {"vector", vector}};
}

}  // namespace biodev::serve
