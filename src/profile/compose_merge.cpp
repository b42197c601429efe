#include "profile/compose_merge.h"

#include <algorithm>
#include <filesystem>
#include <set>

namespace biodev::profile {

namespace fs = std::filesystem;

namespace {

bool is_one_of(const std::string& key, std::initializer_list<const char*> keys) {
  return std::any_of(keys.begin(), keys.end(), [&](const char* k) { return key == k; });
}

Node scalar_node(const std::string& value, const SourceLoc& loc) {
  Node n;
  n.kind = Node::Kind::kScalar;
  n.scalar = value;
  n.loc = loc;
  return n;
}

// "KEY=value" (or "host:ip" for extra_hosts) list entries as a mapping, so that a list
// in one file and a mapping in another merge key by key.
Node as_mapping(const Node& n, const std::string& key) {
  if (!n.is_seq()) return n;
  Node m;
  m.kind = Node::Kind::kMapping;
  m.loc = n.loc;
  m.tag = n.tag;
  for (const Node& item : n.items) {
    if (!item.is_scalar()) return n;  // malformed: left for the parser to report
    std::string k = item.scalar, v;
    bool has_value = false;
    if (key == "depends_on") {
      Node cond;
      cond.kind = Node::Kind::kMapping;
      cond.loc = item.loc;
      cond.entries.emplace_back("condition", scalar_node("service_started", item.loc));
      cond.key_locs.push_back(item.loc);
      m.entries.emplace_back(k, cond);
      m.key_locs.push_back(item.loc);
      continue;
    }
    size_t sep = key == "extra_hosts" ? item.scalar.find_first_of("=:") : item.scalar.find('=');
    if (key != "networks" && sep != std::string::npos) {
      k = item.scalar.substr(0, sep);
      v = item.scalar.substr(sep + 1);
      has_value = true;
    }
    m.entries.emplace_back(k, has_value ? scalar_node(v, item.loc) : Node{});
    if (!has_value) m.entries.back().second.loc = item.loc;
    m.key_locs.push_back(item.loc);
  }
  return m;
}

// The identity of a sequence entry for merging by key: the container path of a mount
// or device, the source of a secret or config; "" = compare whole values.
std::string entry_key(const std::string& key, const Node& item) {
  bool by_target = key == "volumes" || key == "devices";
  bool by_source = key == "secrets" || key == "configs";
  if (!by_target && !by_source) return "";
  if (item.is_map()) {
    const Node* x = item.get(by_target ? "target" : "source");
    return x && x->is_scalar() ? x->scalar : "";
  }
  if (!item.is_scalar()) return "";
  if (by_source) return item.scalar;
  // SOURCE:TARGET[:MODE] or TARGET alone.
  std::string s = item.scalar;
  size_t first = s.find(':');
  if (first == std::string::npos) return s;
  size_t second = s.find(':', first + 1);
  return s.substr(first + 1, second == std::string::npos ? std::string::npos : second - first - 1);
}

std::string flat(const Node& n) {
  if (n.is_scalar()) return n.scalar;
  std::string out = n.is_seq() ? "[" : "{";
  for (const auto& item : n.items) out += flat(item) + ",";
  for (const auto& [k, v] : n.entries) out += k + ":" + flat(v) + ",";
  return out + (n.is_seq() ? "]" : "}");
}

void merge_sequence(Node& base, const Node& over, const std::string& key) {
  for (const Node& item : over.items) {
    std::string id = entry_key(key, item);
    auto same = [&](const Node& b) {
      return id.empty() ? flat(b) == flat(item) : entry_key(key, b) == id;
    };
    auto it = std::find_if(base.items.begin(), base.items.end(), same);
    if (it == base.items.end()) base.items.push_back(item);
    else if (!id.empty()) *it = item;  // the later file's mount for that path wins
  }
}

using Merger = void (*)(const std::string& key, Node&, const Node&);

void merge_mapping(Node& base, const Node& over, Merger value_merge) {
  for (size_t i = 0; i < over.entries.size(); ++i) {
    const std::string& key = over.entries[i].first;
    const Node& value = over.entries[i].second;
    auto it = std::find_if(base.entries.begin(), base.entries.end(),
                           [&](const auto& e) { return e.first == key; });
    if (it == base.entries.end()) {
      base.entries.emplace_back(key, value);
      base.key_locs.push_back(over.key_locs[i]);
    } else if (value.tag == "!reset") {
      it->second = value;  // dropped by drop_reset_values once every file is merged
    } else {
      value_merge(key, it->second, value);
    }
  }
}

// Plain recursive mapping merge; anything else is replaced.
void merge_plain(const std::string&, Node& base, const Node& over) {
  if (over.tag == "!override" || !base.is_map() || !over.is_map()) {
    base = over;
    return;
  }
  merge_mapping(base, over, merge_plain);
}

void merge_service_key(const std::string& key, Node& base, const Node& over) {
  if (over.tag == "!override") {
    base = over;
    return;
  }
  if (is_one_of(key, {"environment", "labels", "extra_hosts", "sysctls", "depends_on", "networks",
                      "ulimits", "annotations"})) {
    Node b = as_mapping(base, key), o = as_mapping(over, key);
    if (b.is_map() && o.is_map()) {
      merge_mapping(b, o, merge_plain);
      base = b;
    } else {
      base = over;
    }
    return;
  }
  if (key == "build" && base.is_map() && over.is_map()) {
    Node b = base;
    for (size_t i = 0; i < over.entries.size(); ++i) {
      const auto& [k, v] = over.entries[i];
      Node* existing = nullptr;
      for (auto& [bk, bv] : b.entries)
        if (bk == k) existing = &bv;
      if (!existing) {
        b.entries.emplace_back(k, v);
        b.key_locs.push_back(over.key_locs[i]);
      } else if (k == "args" || k == "labels") {
        merge_service_key("environment", *existing, v);
      } else {
        merge_plain(k, *existing, v);
      }
    }
    base = b;
    return;
  }
  if (is_one_of(key, {"command", "entrypoint"}) || !base.is_seq() || !over.is_seq()) {
    // healthcheck.test is replaced by merge_plain's own rule (a sequence is replaced).
    merge_plain(key, base, over);
    return;
  }
  merge_sequence(base, over, key);
}

bool is_relative_path(const std::string& p) {
  return !p.empty() && p[0] != '/' && p[0] != '~' && p.find("://") == std::string::npos;
}

void absolutize(Node& n, const std::string& dir) {
  if (n.is_scalar() && is_relative_path(n.scalar))
    n.scalar = (fs::path(dir) / n.scalar).lexically_normal().string();
}

}  // namespace

void merge_compose_service(Node& base, const Node& over) {
  if (over.tag == "!override" || !base.is_map() || !over.is_map()) {
    base = over;
    return;
  }
  merge_mapping(base, over, merge_service_key);
}

void merge_compose_files(Node& base, const Node& over) {
  if (!base.is_map() || !over.is_map()) {
    base = over;
    return;
  }
  Node services_over;
  Node top_over = over;
  for (size_t i = 0; i < top_over.entries.size(); ++i)
    if (top_over.entries[i].first == "services" && top_over.entries[i].second.is_map() &&
        top_over.entries[i].second.tag.empty()) {
      services_over = top_over.entries[i].second;
      top_over.entries[i].second = Node{};
      top_over.entries[i].second.kind = Node::Kind::kMapping;
    }
  merge_mapping(base, top_over, merge_plain);
  for (auto& [key, value] : base.entries)
    if (key == "services" && value.is_map())
      merge_mapping(value, services_over, [](const std::string&, Node& b, const Node& o) {
        merge_compose_service(b, o);
      });
}

void drop_reset_values(Node& n) {
  for (size_t i = 0; i < n.entries.size();) {
    if (n.entries[i].second.tag == "!reset") {
      n.entries.erase(n.entries.begin() + static_cast<long>(i));
      n.key_locs.erase(n.key_locs.begin() + static_cast<long>(i));
      continue;
    }
    drop_reset_values(n.entries[i].second);
    ++i;
  }
  for (auto& item : n.items) drop_reset_values(item);
}

void absolutize_service_paths(Node& service, const std::string& dir) {
  for (auto& [key, value] : service.entries) {
    if (key == "build") {
      if (value.is_scalar()) absolutize(value, dir);
      for (auto& [k, v] : value.entries)
        if (k == "context") absolutize(v, dir);
    } else if (key == "env_file") {
      if (value.is_scalar()) absolutize(value, dir);
      for (auto& item : value.items) {
        if (item.is_scalar()) absolutize(item, dir);
        for (auto& [k, v] : item.entries)
          if (k == "path") absolutize(v, dir);
      }
    } else if (key == "extends" && value.is_map()) {
      for (auto& [k, v] : value.entries)
        if (k == "file") absolutize(v, dir);
    } else if (key == "volumes") {
      for (auto& item : value.items) {
        if (item.is_scalar() && item.scalar.starts_with(".") && item.scalar.find(':') != std::string::npos) {
          size_t colon = item.scalar.find(':');
          item.scalar = (fs::path(dir) / item.scalar.substr(0, colon)).lexically_normal().string() +
                        item.scalar.substr(colon);
        }
        const Node* type = item.get("type");
        if (type && type->is_scalar() && type->scalar == "bind")
          for (auto& [k, v] : item.entries)
            if (k == "source") absolutize(v, dir);
      }
    }
  }
}

}  // namespace biodev::profile
