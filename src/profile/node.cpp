#include "profile/node.h"

#include <yaml-cpp/yaml.h>

#include <set>

#include "profile/errors.h"

namespace biodev::profile {
namespace {

SourceLoc loc_of(const YAML::Mark& mark, const std::string& file) {
  // yaml-cpp marks are 0-based; editors and compilers count from 1.
  return SourceLoc{file, mark.line + 1, mark.column + 1};
}

void apply_merge_key(Node& target, const Node& source, std::set<std::string>& seen) {
  if (source.is_seq()) {
    for (const Node& item : source.items) apply_merge_key(target, item, seen);
    return;
  }
  if (!source.is_map()) throw ProfileError(source.loc, "<< (merge key) needs a mapping");
  for (size_t i = 0; i < source.entries.size(); ++i) {
    if (!seen.insert(source.entries[i].first).second) continue;
    target.entries.push_back(source.entries[i]);
    target.key_locs.push_back(source.key_locs[i]);
  }
}

Node convert(const YAML::Node& y, const std::string& file) {
  Node n;
  n.loc = loc_of(y.Mark(), file);
  switch (y.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      n.kind = Node::Kind::kNull;
      break;
    case YAML::NodeType::Scalar:
      n.kind = Node::Kind::kScalar;
      n.scalar = y.Scalar();
      // yaml-cpp tags plain scalars "?" and quoted ones "!".
      n.quoted = y.Tag() == "!";
      break;
    case YAML::NodeType::Sequence:
      n.kind = Node::Kind::kSequence;
      for (const auto& item : y) n.items.push_back(convert(item, file));
      break;
    case YAML::NodeType::Map: {
      n.kind = Node::Kind::kMapping;
      std::set<std::string> seen;
      std::vector<Node> merge_keys;
      for (const auto& kv : y) {
        SourceLoc key_loc = loc_of(kv.first.Mark(), file);
        if (!kv.first.IsScalar()) throw ProfileError(key_loc, "mapping keys must be strings");
        std::string key = kv.first.Scalar();
        if (key == "<<") {  // YAML merge key: copy entries the mapping does not set itself
          merge_keys.push_back(convert(kv.second, file));
          continue;
        }
        if (!seen.insert(key).second)
          throw ProfileError(key_loc, "duplicate key \"" + key + "\"");
        n.entries.emplace_back(key, convert(kv.second, file));
        n.key_locs.push_back(key_loc);
      }
      for (const Node& m : merge_keys) apply_merge_key(n, m, seen);
      break;
    }
  }
  return n;
}

}  // namespace

const Node* Node::get(std::string_view key) const {
  for (const auto& [k, v] : entries)
    if (k == key) return &v;
  return nullptr;
}

const SourceLoc& Node::key_loc(std::string_view key) const {
  for (size_t i = 0; i < entries.size(); ++i)
    if (entries[i].first == key) return key_locs[i];
  return loc;
}

const char* Node::kind_name() const {
  switch (kind) {
    case Kind::kNull: return "null";
    case Kind::kScalar: return "a scalar";
    case Kind::kSequence: return "a list";
    case Kind::kMapping: return "a mapping";
  }
  return "?";
}

Node parse_yaml(std::string_view text, const std::string& file) {
  try {
    std::vector<YAML::Node> docs = YAML::LoadAll(std::string(text));
    if (docs.size() > 1) {
      throw ProfileError(loc_of(docs[1].Mark(), file),
                         "a profile is a single YAML document; found a second one");
    }
    if (docs.empty()) return Node{Node::Kind::kNull, {}, false, {}, {}, {}, {file, 1, 1}};
    return convert(docs[0], file);
  } catch (const YAML::ParserException& e) {
    throw ProfileError(loc_of(e.mark, file), "YAML syntax error: " + e.msg);
  } catch (const YAML::Exception& e) {
    throw ProfileError(loc_of(e.mark, file), "YAML error: " + e.msg);
  }
}

void merge_into(Node& base, const Node& over) {
  if (!base.is_map() || !over.is_map()) {
    base = over;
    return;
  }
  for (size_t i = 0; i < over.entries.size(); ++i) {
    const auto& [key, value] = over.entries[i];
    auto it = std::find_if(base.entries.begin(), base.entries.end(),
                           [&](const auto& e) { return e.first == key; });
    if (value.is_null()) {
      if (it != base.entries.end()) {
        size_t idx = static_cast<size_t>(it - base.entries.begin());
        base.entries.erase(it);
        base.key_locs.erase(base.key_locs.begin() + static_cast<long>(idx));
      }
      continue;
    }
    if (it == base.entries.end()) {
      base.entries.emplace_back(key, value);
      base.key_locs.push_back(over.key_locs[i]);
    } else {
      merge_into(it->second, value);
    }
  }
}

}  // namespace biodev::profile
