// Brute-force searches of one collection: by vector (search), by Qdrant's universal
// query (a vector, {"nearest": ...}, {"recommend": ...} or a point id), by recommend
// examples (the average_vector strategy), by discovery (a target and context pairs, or
// context pairs alone), each as a list or grouped by a payload key.
#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <set>

#include "serve/qdrant_collection.h"
#include "serve/qdrant_filter.h"

namespace biodev::serve {

using json = nlohmann::json;

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

// Higher is closer, for every distance: how discovery compares its examples.
double similarity(Distance d, const std::vector<float>& a, const std::vector<float>& b) {
  double s = score(d, a, b);
  return lower_than(d) ? -s : s;
}

// What a search looks for, and the points it leaves out (recommend's examples).
struct Target {
  std::vector<float> vector;
  std::set<std::string> exclude;  // point keys
  // Discovery scores a point by its examples, not by one vector; higher is better.
  std::function<double(const std::vector<float>&)> scorer;
};

using Hit = std::pair<double, const QdrantPoint*>;

// Every point with a vector that passes the filter and score_threshold, best first.
std::vector<Hit> rank(const QdrantCollection& c, Target t, const json& body) {
  if (c.distance == Distance::kCosine) normalize(t.vector);
  json filter = request_field(body, "filter", json());
  json threshold = request_field(body, "score_threshold", json());
  bool ascending = !t.scorer && lower_than(c.distance);
  std::vector<Hit> hits;
  for (const auto& [key, p] : c.points) {
    if (p.vector.empty() || t.exclude.count(key)) continue;
    if (!filter.is_null() && !filter_matches(filter, p.id, p.payload)) continue;
    double s = t.scorer ? t.scorer(p.vector) : score(c.distance, t.vector, p.vector);
    if (threshold.is_number() &&
        (ascending ? s > threshold.get<double>() : s < threshold.get<double>()))
      continue;
    hits.emplace_back(s, &p);
  }
  std::stable_sort(hits.begin(), hits.end(), [ascending](const Hit& a, const Hit& b) {
    return ascending ? a.first < b.first : a.first > b.first;
  });
  return hits;
}

// A ScoredPoint: with_payload is false unless asked for, as in Qdrant's search.
json hit_json(const Hit& h, const json& body) {
  json out = point_json(*h.second, request_field(body, "with_payload", false),
                        request_field(body, "with_vector", false));
  out["version"] = h.second->version;
  out["score"] = static_cast<float>(h.first);
  return out;
}

json top(const std::vector<Hit>& hits, const json& body) {
  size_t offset = request_count(body, "offset", 0), limit = request_count(body, "limit", 10);
  json out = json::array();
  for (size_t i = offset; i < hits.size() && i < offset + limit; ++i)
    out.push_back(hit_json(hits[i], body));
  return out;
}

// Groups of hits sharing a value (string or integer; each element of an array) of the
// payload key `group_by`, best group first, at most `limit` groups of `group_size`.
json grouped(const std::vector<Hit>& hits, const json& body) {
  json by = request_field(body, "group_by", json());
  if (!by.is_string() || by.get_ref<const std::string&>().empty())
    throw QdrantError(400, "Format error in JSON body: missing field `group_by`");
  size_t size = request_count(body, "group_size", 3), limit = request_count(body, "limit", 10);
  json groups = json::array();
  std::map<std::string, size_t> index;  // value's JSON -> position in groups
  for (const Hit& h : hits) {
    const json* v = payload_at_key(h.second->payload, by.get<std::string>());
    if (!v) continue;
    for (const json& value : v->is_array() ? *v : json::array({*v})) {
      if (!value.is_string() && !value.is_number_integer()) continue;
      auto it = index.find(value.dump());
      if (it == index.end()) {
        if (groups.size() == limit) continue;
        it = index.emplace(value.dump(), groups.size()).first;
        groups.push_back({{"id", value}, {"hits", json::array()}});
      }
      json& group_hits = groups[it->second]["hits"];
      if (group_hits.size() < size) group_hits.push_back(hit_json(h, body));
    }
  }
  return {{"groups", groups}};
}

Target search_target(const QdrantCollection& c, const QdrantCollection&, const json& body) {
  if (!body.contains("vector"))
    throw QdrantError(400, "Format error in JSON body: missing field `vector`");
  return {parse_vector(body["vector"], c), {}};
}

// A recommend example: a vector, or the id of a point of `lookup`.
std::vector<float> example_vector(const QdrantCollection& c, const QdrantCollection& lookup,
                                  const json& example) {
  if (example.is_array()) return parse_vector(example, c);
  const QdrantPoint& p = find_point(lookup, example);
  if (static_cast<int>(p.vector.size()) != c.size)
    throw QdrantError(400, "Wrong input: point " + p.id.dump() + " has no vector of dim " +
                               std::to_string(c.size));
  return p.vector;
}

std::vector<double> average(const QdrantCollection& c, const QdrantCollection& lookup,
                            const json& examples, Target& t) {
  std::vector<double> sum(static_cast<size_t>(c.size), 0.0);
  for (const auto& e : examples) {
    std::vector<float> v = example_vector(c, lookup, e);
    for (size_t i = 0; i < v.size(); ++i) sum[i] += v[i] / static_cast<double>(examples.size());
    if (!e.is_array() && &lookup == &c) t.exclude.insert(point_key(normalize_point_id(e)));
  }
  return sum;
}

// average_vector: avg(positive) + (avg(positive) - avg(negative)), as Qdrant computes it.
Target recommend_target(const QdrantCollection& c, const QdrantCollection& lookup,
                        const json& body) {
  json strategy = request_field(body, "strategy", "average_vector");
  if (strategy != "average_vector")
    throw QdrantError(400,
                      "Wrong input: the biodev qdrant stand-in supports only the "
                      "`average_vector` recommend strategy, not " +
                          strategy.dump());
  json positive = request_field(body, "positive", json::array()),
       negative = request_field(body, "negative", json::array());
  if (!positive.is_array() || positive.empty() || !negative.is_array())
    throw QdrantError(400,
                      "Wrong input: Positive vectors should not be empty with `average` "
                      "strategy");
  Target t;
  std::vector<double> pos = average(c, lookup, positive, t);
  std::vector<double> neg = negative.empty() ? pos : average(c, lookup, negative, t);
  for (size_t i = 0; i < pos.size(); ++i)
    t.vector.push_back(static_cast<float>(pos[i] + (pos[i] - neg[i])));
  return t;
}

Target query_target(const QdrantCollection& c, const QdrantCollection& lookup, const json& body) {
  json q = request_field(body, "query", json());
  if (q.is_object() && q.contains("nearest")) q = q["nearest"];
  if (q.is_object() && q.contains("recommend")) return recommend_target(c, lookup, q["recommend"]);
  if (q.is_array()) return {parse_vector(q, c), {}};
  if (q.is_number() || q.is_string()) {  // the point's vector; the point itself left out
    Target t;
    std::vector<double> v = average(c, lookup, json::array({q}), t);
    t.vector.assign(v.begin(), v.end());
    return t;
  }
  throw QdrantError(400,
                    "Wrong input: the biodev qdrant stand-in supports `query` as a vector, "
                    "{\"nearest\": vector or id}, {\"recommend\": ...} or a point id");
}

// Qdrant's discovery. With a target: the number of context pairs whose positive is closer
// than their negative, less those where it is farther, plus the similarity to the target
// squashed into (0, 1) to order points of the same rank. Without one (context search):
// the sum over pairs of min(sim(positive) - sim(negative), 0), best 0.
Target discover_target(const QdrantCollection& c, const QdrantCollection& lookup,
                       const json& body) {
  json target = request_field(body, "target", json()),
       context = request_field(body, "context", json::array());
  if (!context.is_array())
    throw QdrantError(400, "Format error in JSON body: `context` must be a list of pairs");
  if (target.is_null() && context.empty())
    throw QdrantError(400, "Wrong input: discovery needs a `target` or `context` pairs");
  Target t;
  auto example = [&](const json& e) {
    std::vector<float> v = example_vector(c, lookup, e);
    if (c.distance == Distance::kCosine) normalize(v);
    if (!e.is_array() && &lookup == &c) t.exclude.insert(point_key(normalize_point_id(e)));
    return v;
  };
  std::optional<std::vector<float>> goal;
  if (!target.is_null()) goal = example(target);
  std::vector<std::pair<std::vector<float>, std::vector<float>>> pairs;
  for (const auto& pair : context) {
    if (!pair.is_object() || !pair.contains("positive") || !pair.contains("negative"))
      throw QdrantError(400, "Format error in JSON body: a context pair needs `positive` and `negative`");
    pairs.emplace_back(example(pair["positive"]), example(pair["negative"]));
  }
  Distance d = c.distance;
  t.scorer = [d, goal, pairs](const std::vector<float>& v) {
    double rank = 0, loss = 0;
    for (const auto& [pos, neg] : pairs) {
      double diff = similarity(d, v, pos) - similarity(d, v, neg);
      rank += (diff > 0) - (diff < 0);
      loss += std::min(diff, 0.0);
    }
    if (!goal) return loss;
    double s = similarity(d, v, *goal);
    return rank + 0.5 * (s / (1 + std::abs(s)) + 1);
  };
  return t;
}

enum class Shape { kList, kPoints, kGroups };
struct Kind {
  Target (*target)(const QdrantCollection&, const QdrantCollection&, const json&);
  Shape shape;
};

const std::map<std::string, Kind, std::less<>>& kinds() {
  static const std::map<std::string, Kind, std::less<>> kKinds = {
      {"search", {search_target, Shape::kList}},
      {"query", {query_target, Shape::kPoints}},
      {"recommend", {recommend_target, Shape::kList}},
      {"discover", {discover_target, Shape::kList}},
      {"search/groups", {search_target, Shape::kGroups}},
      {"query/groups", {query_target, Shape::kGroups}},
      {"recommend/groups", {recommend_target, Shape::kGroups}}};
  return kKinds;
}

}  // namespace

json find_points(const std::string& kind, const QdrantCollection& c, const QdrantCollection& lookup,
                 const json& body) {
  auto it = kinds().find(kind);
  if (it == kinds().end()) throw QdrantError(404, "Not found: no search of kind " + kind);
  if (!body.is_object())
    throw QdrantError(400, "Format error in JSON body: expected a JSON object");
  refuse_fields(body, {"prefetch", "with_lookup"});
  if (request_field(body, "using", "") != "") throw QdrantError(400, kNoNamedVectors);
  std::vector<Hit> hits = rank(c, it->second.target(c, lookup, body), body);
  switch (it->second.shape) {
    case Shape::kGroups:
      return grouped(hits, body);
    case Shape::kPoints:
      return {{"points", top(hits, body)}};
    case Shape::kList:
      break;
  }
  return top(hits, body);
}

}  // namespace biodev::serve
