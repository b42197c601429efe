// Top-level keys of the profile schema: networks, volumes, pools, services, exports.
#include <regex>

#include "profile/parse.h"
#include "profile/reader.h"

namespace biodev::profile {

void report_compose_keys(const Node& node, MapReader& r, Diagnostics& d, const std::string& name);

namespace {

const std::regex kNameRe("^[a-zA-Z0-9][a-zA-Z0-9_.-]*$");

// Keys starting with "x-" are free for YAML anchors, as in compose files.
void take_extensions(const Node& node, MapReader& r) {
  if (!node.is_map()) return;
  for (const auto& [key, value] : node.entries)
    if (key.starts_with("x-")) r.take(key);
}

Service parse_one_service(const std::string& name, const Node& node, const ParseContext& ctx,
                          const SourceLoc& loc) {
  Service s;
  s.name = name;
  s.loc = loc;
  MapReader r(node, "service " + name, *ctx.diags);
  take_extensions(node, r);
  report_compose_keys(node, r, *ctx.diags, name);
  r.take("offline");  // handled by the caller
  parse_service_fields(r, ctx, s);
  r.finish();
  // A service left empty ("web:") is a service without an image, not no service.
  if (s.image.empty() && !s.build && (node.is_map() || node.is_null()))
    ctx.diags->add(loc, "service " + name + " needs an \"image\" or a \"build\"");
  return s;
}

}  // namespace

std::map<std::string, Pool> parse_pools(const Node& n, Diagnostics& d) {
  std::map<std::string, Pool> pools;
  MapReader top(n, "pools", d);
  for (const auto& [name, value] : n.entries) {
    top.take(name);
    Pool p{{}, value.loc};
    MapReader r(value, "pool " + name, d);
    if (auto* x = r.take("cpus")) p.resources.cpus = read_double(*x, d, "cpus").value_or(0);
    if (auto* x = r.take("memory")) p.resources.memory_bytes = read_bytes(*x, d, "memory").value_or(0);
    r.finish();
    pools[name] = p;
  }
  return pools;
}

void apply_pool(Service& s, const std::map<std::string, Pool>& pools, const SourceLoc& loc,
                Diagnostics& d) {
  if (s.pool.empty()) return;
  auto it = pools.find(s.pool);
  if (it == pools.end()) {
    d.add(loc, "service " + s.name + ": unknown pool \"" + s.pool + "\" (define it under pools:)");
    return;
  }
  if (s.resources.cpus == 0) s.resources.cpus = it->second.resources.cpus;
  if (s.resources.memory_bytes == 0) s.resources.memory_bytes = it->second.resources.memory_bytes;
}

namespace {

void parse_services(const Node& n, const ParseContext& ctx, const std::map<std::string, Pool>& pools,
                    Profile& out) {
  Diagnostics& d = *ctx.diags;
  if (!n.is_map() || n.entries.empty()) {
    d.add(n.loc, "services must be a mapping with at least one service");
    return;
  }
  for (size_t i = 0; i < n.entries.size(); ++i) {
    const auto& [name, node] = n.entries[i];
    const SourceLoc& loc = n.key_locs[i];
    if (!std::regex_match(name, kNameRe))
      d.add(loc, "service name \"" + name + "\" must start with a letter or digit and use only "
                 "letters, digits, _ . -");
    Service s = parse_one_service(name, node, ctx, loc);
    apply_pool(s, pools, loc, d);
    if (const Node* off = node.get("offline")) {
      if (!off->is_map()) {
        d.add(off->loc, "offline must be a mapping of service keys to override");
      } else if (off->get("offline")) {
        d.add(off->key_loc("offline"), "offline cannot nest another offline");
      } else {
        Node merged = node;
        merge_into(merged, *off);
        auto variant = std::make_shared<Service>(parse_one_service(name, merged, ctx, loc));
        apply_pool(*variant, pools, loc, d);
        s.offline = variant;
      }
    }
    out.services.push_back(std::move(s));
  }
}

void parse_named(const Node& n, const std::string& what, Diagnostics& d,
                 const std::function<void(const std::string&, const Node&, const SourceLoc&)>& each) {
  if (n.is_null()) return;
  if (n.is_seq()) {
    for (const auto& item : n.items)
      if (auto name = read_string(item, d, what)) each(*name, Node{}, item.loc);
    return;
  }
  if (!n.is_map()) {
    d.add(n.loc, what + " must be a mapping or a list of names");
    return;
  }
  for (size_t i = 0; i < n.entries.size(); ++i) each(n.entries[i].first, n.entries[i].second, n.key_locs[i]);
}

}  // namespace

void parse_profile(const Node& root, const ParseContext& ctx, Profile& out) {
  Diagnostics& d = *ctx.diags;
  MapReader r(root, "the profile", d);
  if (!root.is_map()) return;
  take_extensions(root, r);
  r.take("extends");   // resolved by the loader
  r.take("env_file");  // read by the loader before interpolation
  if (auto* x = r.take("project")) out.project = read_string(*x, d, "project").value_or("");
  if (auto* x = r.take("shared_sandbox")) out.shared_sandbox = read_bool(*x, d, "shared_sandbox").value_or(false);
  if (auto* x = r.take("networks")) {
    parse_named(*x, "networks", d, [&](const std::string& name, const Node& v, const SourceLoc& loc) {
      Network net;
      net.name = name;
      net.loc = loc;
      MapReader nr(v, "network " + name, d);
      if (auto* y = nr.take("internal")) net.internal = read_bool(*y, d, "internal").value_or(false);
      nr.finish();
      if (!std::regex_match(name, kNameRe)) d.add(loc, "bad network name \"" + name + "\"");
      out.networks.push_back(net);
    });
  }
  if (auto* x = r.take("volumes")) {
    parse_named(*x, "volumes", d, [&](const std::string& name, const Node& v, const SourceLoc& loc) {
      MapReader vr(v, "volume " + name, d);
      vr.finish();
      if (!std::regex_match(name, kNameRe)) d.add(loc, "bad volume name \"" + name + "\"");
      Volume vol;
      vol.name = name;
      vol.loc = loc;
      out.volumes.push_back(vol);
    });
  }
  std::map<std::string, Pool> pools;
  if (auto* x = r.take("pools")) pools = parse_pools(*x, d);
  if (auto* x = r.take("services")) parse_services(*x, ctx, pools, out);
  else d.add(root.loc, "the profile needs \"services\"");
  if (auto* x = r.take("exports")) {
    MapReader er(*x, "exports", d);
    for (size_t i = 0; i < x->entries.size(); ++i) {
      const auto& [name, value] = x->entries[i];
      er.take(name);
      if (auto t = read_string(value, d, "export " + name))
        out.exports.push_back({name, *t, x->key_locs[i]});
    }
  }
  r.finish();
  if (out.networks.empty()) {
    Network net;
    net.name = "default";
    net.loc = root.loc;
    out.networks.push_back(net);
  }
  for (auto& s : out.services) {
    auto fill = [&](Service& svc) {
      if (svc.networks.empty()) svc.networks.push_back({out.networks.front().name, {}});
    };
    fill(s);
    if (s.offline) fill(const_cast<Service&>(*s.offline));
  }
}

}  // namespace biodev::profile
