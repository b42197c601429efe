// Top-level keys of a compose file other than services: networks, volumes, secrets,
// configs and biodev's own x-biodev (exports, pools, substitutes).
#include <regex>

#include "profile/compose_parse.h"
#include "profile/reader.h"

namespace biodev::profile {

namespace {

const std::regex kNameRe("^[a-zA-Z0-9][a-zA-Z0-9_.-]*$");

std::map<std::string, std::string> read_map(const Node& n, Diagnostics& d, const std::string& what) {
  std::map<std::string, std::string> out;
  if (n.is_seq()) {
    for (const auto& item : n.items)
      if (auto s = read_string(item, d, what)) {
        size_t eq = s->find('=');
        out[s->substr(0, eq)] = eq == std::string::npos ? "" : s->substr(eq + 1);
      }
  } else if (n.is_map()) {
    for (const auto& [k, v] : n.entries) out[k] = v.is_null() ? "" : read_string(v, d, what).value_or("");
  } else if (!n.is_null()) {
    d.add(n.loc, what + " must be a mapping");
  }
  return out;
}

// `external: true` or, in older files, `external: {name: x}`.
void read_external(const Node& n, Diagnostics& d, bool& external, std::string& engine_name) {
  if (n.is_map()) {
    MapReader r(n, "external", d);
    if (auto* x = r.take("name")) engine_name = read_string(*x, d, "external.name").value_or("");
    r.finish();
    external = true;
    return;
  }
  external = read_bool(n, d, "external").value_or(false);
}

template <typename Each>
void for_each_entry(const Node& n, const std::string& what, Diagnostics& d, Each each) {
  if (n.is_null()) return;
  if (!n.is_map()) {
    d.add(n.loc, what + " must be a mapping");
    return;
  }
  for (size_t i = 0; i < n.entries.size(); ++i) {
    const std::string& name = n.entries[i].first;
    if (!std::regex_match(name, kNameRe)) d.add(n.key_locs[i], "bad " + what + " name \"" + name + "\"");
    each(name, n.entries[i].second, n.key_locs[i]);
  }
}

// The keys networks and volumes share.
template <typename T>
void read_resource_keys(MapReader& r, Diagnostics& d, T& out) {
  if (auto* x = r.take("external")) read_external(*x, d, out.external, out.engine_name);
  if (auto* x = r.take("name")) out.engine_name = read_string(*x, d, "name").value_or("");
  if (auto* x = r.take("driver")) out.driver = read_string(*x, d, "driver").value_or("");
  if (auto* x = r.take("driver_opts")) out.driver_opts = read_map(*x, d, "driver_opts");
  if (auto* x = r.take("labels")) out.labels = read_map(*x, d, "labels");
}

void parse_networks(const Node& n, const ComposeParse& cp, Profile& out) {
  Diagnostics& d = *cp.ctx.diags;
  for_each_entry(n, "network", d, [&](const std::string& name, const Node& v, const SourceLoc& loc) {
    Network net;
    net.name = name;
    net.loc = loc;
    MapReader r(v, "network " + name, d);
    read_resource_keys(r, d, net);
    if (auto* x = r.take("internal")) net.internal = read_bool(*x, d, "internal").value_or(false);
    if (auto* x = r.take("attachable")) net.attachable = read_bool(*x, d, "attachable").value_or(false);
    if (auto* x = r.take("enable_ipv6")) net.enable_ipv6 = read_bool(*x, d, "enable_ipv6").value_or(false);
    if (auto* x = r.take("ipam"))
      d.add(x->loc, "network ipam is not supported by biodev (the engine picks the subnet)");
    r.finish();
    out.networks.push_back(net);
  });
}

void parse_volumes(const Node& n, const ComposeParse& cp, Profile& out) {
  Diagnostics& d = *cp.ctx.diags;
  for_each_entry(n, "volume", d, [&](const std::string& name, const Node& v, const SourceLoc& loc) {
    Volume vol;
    vol.name = name;
    vol.loc = loc;
    MapReader r(v, "volume " + name, d);
    read_resource_keys(r, d, vol);
    r.finish();
    out.volumes.push_back(vol);
  });
}

void parse_file_sources(const Node& n, bool secret, const ComposeParse& cp, Profile& out) {
  Diagnostics& d = *cp.ctx.diags;
  const std::string what = secret ? "secret" : "config";
  for_each_entry(n, what, d, [&](const std::string& name, const Node& v, const SourceLoc& loc) {
    FileSource f;
    f.name = name;
    f.secret = secret;
    f.loc = loc;
    MapReader r(v, what + " " + name, d);
    int sources = 0;
    if (auto* x = r.take("file")) {
      f.kind = FileSource::Kind::kFile;
      f.file = resolve_path(cp.ctx.project_dir, read_string(*x, d, "file").value_or(""));
      ++sources;
    }
    if (auto* x = r.take("environment")) {
      f.kind = FileSource::Kind::kEnvironment;
      f.environment = read_string(*x, d, "environment").value_or("");
      if (auto value = cp.ctx.vars->get(f.environment)) f.content = *value;
      else d.add(x->loc, what + " " + name + ": environment variable " + f.environment + " is not set");
      ++sources;
    }
    if (auto* x = r.take("content")) {
      f.kind = FileSource::Kind::kContent;
      f.content = read_string(*x, d, "content").value_or("");
      ++sources;
    }
    if (auto* x = r.take("external")) {
      if (read_bool(*x, d, "external").value_or(false))
        d.add(x->loc, "external " + what + "s live in a swarm; biodev (like docker compose "
                      "without swarm) cannot read them: use file, environment or content");
      ++sources;
    }
    if (auto* x = r.take("name")) cp.warn(x->loc, what + " name only applies to swarm; ignored");
    r.finish();
    if (sources != 1)
      d.add(loc, what + " " + name + " needs exactly one of file, environment or content");
    if (secret && !f.content.empty()) (*cp.ctx.secrets)["secret." + name] = f.content;
    (secret ? out.secrets_defs : out.configs_defs).push_back(f);
  });
}

std::vector<SubstituteRule> parse_substitutes(const Node& n, Diagnostics& d) {
  if (n.is_map()) return read_substitute_rules(n, d);
  std::vector<SubstituteRule> out;
  if (n.is_seq()) {
    for (const auto& item : n.items) {
      SubstituteRule rule;
      rule.loc = item.loc;
      MapReader r(item, "a substitute", d);
      if (auto* x = r.take("pattern")) rule.pattern = read_string(*x, d, "pattern").value_or("");
      else d.add(item.loc, "a substitute needs \"pattern\" (the upstream image)");
      if (auto* x = r.take("image")) rule.image = read_string(*x, d, "image").value_or("");
      else d.add(item.loc, "a substitute needs \"image\" (what runs instead)");
      r.finish();
      out.push_back(rule);
    }
  } else {
    d.add(n.loc, "substitutes must be a mapping of upstream image to image, or a list");
  }
  return out;
}

void parse_biodev_top(const Node& n, ComposeParse& cp, Profile& out) {
  Diagnostics& d = *cp.ctx.diags;
  MapReader r(n, "x-biodev", d);
  if (auto* x = r.take("substitutes")) cp.substitutes = parse_substitutes(*x, d);
  if (auto* x = r.take("pools")) cp.pools = parse_pools(*x, d);
  if (auto* x = r.take("shared_sandbox")) out.shared_sandbox = read_bool(*x, d, "x-biodev.shared_sandbox").value_or(false);
  if (auto* x = r.take("exports")) {
    MapReader er(*x, "exports", d);
    for (size_t i = 0; i < x->entries.size(); ++i) {
      const auto& [name, value] = x->entries[i];
      er.take(name);
      if (auto t = read_string(value, d, "export " + name)) out.exports.push_back({name, *t, x->key_locs[i]});
    }
  }
  r.finish();
}

}  // namespace

void parse_compose_top(const Node& root, ComposeParse& cp, Profile& out) {
  if (const Node* x = root.get("x-biodev")) parse_biodev_top(*x, cp, out);
  if (const Node* x = root.get("networks")) parse_networks(*x, cp, out);
  if (const Node* x = root.get("volumes")) parse_volumes(*x, cp, out);
  if (const Node* x = root.get("secrets")) parse_file_sources(*x, true, cp, out);
  if (const Node* x = root.get("configs")) parse_file_sources(*x, false, cp, out);
}

}  // namespace biodev::profile
