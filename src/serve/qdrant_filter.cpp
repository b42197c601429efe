#include "serve/qdrant_filter.h"

#include "serve/qdrant_collection.h"

namespace biodev::serve {

using json = nlohmann::json;

const json* payload_at_key(const json& payload, const std::string& key) {
  const json* cur = &payload;
  size_t start = 0;
  while (true) {
    size_t dot = key.find('.', start);
    std::string part = key.substr(start, dot == std::string::npos ? dot : dot - start);
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(part);
    if (it == cur->end()) return nullptr;
    cur = &*it;
    if (dot == std::string::npos) return cur;
    start = dot + 1;
  }
}

namespace {

template <class Pred>
bool any_value(const json* v, Pred pred) {
  if (!v) return false;
  if (v->is_array()) {
    for (const auto& e : *v)
      if (pred(e)) return true;
    return false;
  }
  return pred(*v);
}

bool in_list(const json& v, const json& list) {
  for (const auto& x : list)
    if (x == v) return true;
  return false;
}

bool match_condition(const json& match, const json* v) {
  if (match.contains("value"))
    return any_value(v, [&](const json& e) { return e == match["value"]; });
  if (match.contains("any"))
    return any_value(v, [&](const json& e) { return in_list(e, match["any"]); });
  if (match.contains("except"))
    return v && any_value(v, [&](const json& e) { return !in_list(e, match["except"]); });
  if (match.contains("text") && match["text"].is_string())
    return any_value(v, [&](const json& e) {
      return e.is_string() && e.get_ref<const std::string&>().find(
                                  match["text"].get_ref<const std::string&>()) != std::string::npos;
    });
  throw QdrantError(
      400, "Wrong input: unsupported match " + match.dump() + " in the biodev qdrant stand-in");
}

bool range_condition(const json& range, const json* v) {
  return any_value(v, [&](const json& e) {
    if (!e.is_number()) return false;
    double x = e.get<double>();
    auto bound = [&](const char* k) { return range.contains(k) && range[k].is_number(); };
    if (bound("gt") && !(x > range["gt"].get<double>())) return false;
    if (bound("gte") && !(x >= range["gte"].get<double>())) return false;
    if (bound("lt") && !(x < range["lt"].get<double>())) return false;
    if (bound("lte") && !(x <= range["lte"].get<double>())) return false;
    return true;
  });
}

bool condition(const json& c, const json& id, const json& payload) {
  if (c.contains("must") || c.contains("should") || c.contains("must_not"))
    return filter_matches(c, id, payload);
  if (c.contains("has_id")) {
    for (const auto& x : c["has_id"])
      if (normalize_point_id(x) == id) return true;
    return false;
  }
  if (c.contains("is_empty") || c.contains("is_null")) {
    bool empty = c.contains("is_empty");
    const json& spec = empty ? c["is_empty"] : c["is_null"];
    const json* v = payload_at_key(payload, spec.value("key", ""));
    if (empty) return !v || v->is_null() || (v->is_array() && v->empty());
    return v && v->is_null();
  }
  if (c.contains("key")) {
    const json* v = payload_at_key(payload, c["key"].get<std::string>());
    if (c.contains("match")) return match_condition(c["match"], v);
    if (c.contains("range")) return range_condition(c["range"], v);
  }
  throw QdrantError(400, "Wrong input: unsupported filter condition " + c.dump() +
                             " in the biodev qdrant stand-in");
}

// A clause may be one condition or a list of them.
template <class Fn>
void each_condition(const json& clause, Fn fn) {
  if (clause.is_array())
    for (const auto& c : clause) fn(c);
  else if (clause.is_object())
    fn(clause);
}

}  // namespace

bool filter_matches(const json& filter, const json& id, const json& payload) {
  if (!filter.is_object()) return true;
  bool ok = true;
  if (filter.contains("must"))
    each_condition(filter["must"], [&](const json& c) { ok = ok && condition(c, id, payload); });
  if (ok && filter.contains("must_not"))
    each_condition(filter["must_not"],
                   [&](const json& c) { ok = ok && !condition(c, id, payload); });
  if (ok && filter.contains("should") && !filter["should"].empty()) {
    bool any = false;
    each_condition(filter["should"],
                   [&](const json& c) { any = any || condition(c, id, payload); });
    ok = any;
  }
  return ok;
}

}  // namespace biodev::serve
