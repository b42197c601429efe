// Service-level keys of the profile schema.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "profile/builtin_files.h"
#include "profile/load_steps.h"
#include "profile/parse.h"
#include "profile/reader.h"
#include "util/strings.h"

namespace biodev::profile {

namespace fs = std::filesystem;

std::vector<std::string> split_command(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (quote) {
      if (c == quote) quote = 0;
      else if (c == '\\' && quote == '"' && i + 1 < s.size()) cur += s[++i];
      else cur += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == '\\' && i + 1 < s.size()) {
      cur += s[++i];
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) out.push_back(cur);
      cur.clear();
      in_word = false;
    } else {
      cur += c;
      in_word = true;
    }
  }
  if (in_word) out.push_back(cur);
  return out;
}

std::string resolve_path(const std::string& project_dir, const std::string& p) {
  if (p.starts_with("~/")) {
    const char* home = std::getenv("HOME");
    return (fs::path(home ? home : "/") / p.substr(2)).lexically_normal().string();
  }
  return resolve_host_path(project_dir, p);
}

bool is_data_path(const std::string& raw) {
  std::string p = raw.starts_with("./") ? raw.substr(2) : raw;
  return p == ".data" || p.starts_with(".data/");
}

std::vector<std::string> read_command(const Node& n, Diagnostics& d, const std::string& what) {
  if (n.is_scalar()) return split_command(n.scalar);
  return read_string_list(n, d, what);
}

namespace {

bool parse_port_string(const Node& n, PortSpec& p, Diagnostics& d) {
  std::string s = n.scalar;
  if (auto slash = s.rfind('/'); slash != std::string::npos) {
    p.protocol = s.substr(slash + 1);
    s = s.substr(0, slash);
  }
  std::vector<std::string> parts;
  if (s.starts_with("[")) {  // [::1]:5432:5432
    size_t close = s.find(']');
    if (close == std::string::npos) {
      d.add(n.loc, "bad port \"" + n.scalar + "\": unterminated [");
      return false;
    }
    parts.push_back(s.substr(1, close - 1));
    for (auto& x : split(s.substr(close + 1), ':'))
      if (!x.empty()) parts.push_back(x);
  } else {
    parts = split(s, ':');
  }
  auto num = [&](const std::string& x, int& out) {
    try {
      size_t used = 0;
      int v = std::stoi(x, &used);
      if (used != x.size() || v < 0 || v > 65535) throw std::out_of_range("port");
      out = v;
      return true;
    } catch (...) {
      d.add(n.loc, "bad port \"" + n.scalar + "\": \"" + x + "\" is not a port number (0-65535)");
      return false;
    }
  };
  if (parts.size() == 1) return num(parts[0], p.container_port);
  if (parts.size() == 2) return num(parts[0], p.host_port) && num(parts[1], p.container_port);
  if (parts.size() == 3) {
    p.host_ip = parts[0];
    return num(parts[1], p.host_port) && num(parts[2], p.container_port);
  }
  d.add(n.loc, "bad port \"" + n.scalar + "\": expected [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTO]");
  return false;
}

std::vector<PortSpec> parse_ports(const Node& n, Diagnostics& d) {
  std::vector<PortSpec> out;
  if (!n.is_seq()) {
    d.add(n.loc, "ports must be a list");
    return out;
  }
  for (const auto& item : n.items) {
    PortSpec p;
    p.loc = item.loc;
    bool parsed = true;
    if (item.is_scalar()) {
      parsed = parse_port_string(item, p, d);
    } else {
      MapReader r(item, "a port", d);
      if (auto* x = r.take("host")) p.host_port = static_cast<int>(read_int(*x, d, "host", 0, 65535).value_or(0));
      if (auto* x = r.take("container"))
        p.container_port = static_cast<int>(read_int(*x, d, "container", 1, 65535).value_or(0));
      else
        d.add(item.loc, "a port needs \"container\"");
      if (auto* x = r.take("host_ip")) p.host_ip = read_string(*x, d, "host_ip").value_or(p.host_ip);
      if (auto* x = r.take("protocol")) p.protocol = read_string(*x, d, "protocol").value_or("tcp");
      r.finish();
    }
    if (p.protocol != "tcp" && p.protocol != "udp")
      d.add(item.loc, "port protocol must be tcp or udp, not \"" + p.protocol + "\"");
    if (parsed && p.container_port == 0 && item.is_scalar())
      d.add(item.loc, "container port must be 1-65535");
    out.push_back(p);
  }
  return out;
}

// nullopt when the string is malformed (reported here): there is no target to check.
std::optional<MountSpec> parse_mount_string(const Node& n, const ParseContext& ctx) {
  MountSpec m;
  m.loc = n.loc;
  std::vector<std::string> parts = split(n.scalar, ':');
  if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[1].empty()) {
    ctx.diags->add(n.loc, "bad mount \"" + n.scalar + "\": expected SOURCE:TARGET[:ro]");
    return std::nullopt;
  }
  if (parts.size() == 3) {
    if (parts[2] == "ro") m.read_only = true;
    else if (parts[2] != "rw")
      ctx.diags->add(n.loc, "bad mount option \"" + parts[2] + "\" (use ro or rw)");
  }
  const std::string& src = parts[0];
  bool path_like = src.starts_with(".") || src.starts_with("/") || src.starts_with("~");
  m.type = path_like ? MountSpec::Type::kBind : MountSpec::Type::kVolume;
  m.source = path_like ? resolve_path(ctx.project_dir, src) : src;
  m.data = path_like && is_data_path(src);
  m.target = parts[1];
  return m;
}

// nullopt when there is no target to check (reported here).
std::optional<MountSpec> parse_mount_map(const Node& n, const ParseContext& ctx) {
  Diagnostics& d = *ctx.diags;
  MountSpec m;
  m.loc = n.loc;
  MapReader r(n, "a mount", d);
  std::string type = "bind";
  if (auto* x = r.take("type")) type = read_string(*x, d, "type").value_or("bind");
  std::string raw_source;
  if (auto* x = r.take("source")) raw_source = read_string(*x, d, "source").value_or("");
  bool has_target = false;
  if (auto* x = r.take("target")) {
    auto target = read_string(*x, d, "target");
    m.target = target.value_or("");
    has_target = target.has_value();
  } else {
    d.add(n.loc, "a mount needs \"target\" (an absolute path in the container)");
  }
  if (auto* x = r.take("read_only")) m.read_only = read_bool(*x, d, "read_only").value_or(false);
  if (auto* x = r.take("size")) m.tmpfs_size = read_bytes(*x, d, "size").value_or(0);
  r.finish();
  if (type == "bind") {
    m.type = MountSpec::Type::kBind;
    m.source = resolve_path(ctx.project_dir, raw_source);
    m.data = is_data_path(raw_source);
    if (raw_source.empty()) d.add(n.loc, "a bind mount needs \"source\"");
  } else if (type == "volume") {
    m.type = MountSpec::Type::kVolume;
    m.source = raw_source;
    if (raw_source.empty()) d.add(n.loc, "a volume mount needs \"source\" (a volume name)");
  } else if (type == "tmpfs") {
    m.type = MountSpec::Type::kTmpfs;
  } else {
    d.add(n.loc, "mount type must be bind, volume or tmpfs, not \"" + type + "\"");
  }
  if (m.type != MountSpec::Type::kTmpfs && m.tmpfs_size)
    d.add(n.loc, "\"size\" applies to tmpfs mounts only");
  if (!has_target) return std::nullopt;
  return m;
}

std::vector<MountSpec> parse_mounts(const Node& n, const ParseContext& ctx) {
  std::vector<MountSpec> out;
  if (!n.is_seq()) {
    ctx.diags->add(n.loc, "mounts must be a list");
    return out;
  }
  for (const auto& item : n.items) {
    std::optional<MountSpec> m;
    if (item.is_scalar()) m = parse_mount_string(item, ctx);
    else if (item.is_map()) m = parse_mount_map(item, ctx);
    else
      ctx.diags->add(item.loc, std::string("a mount must be a SOURCE:TARGET string or a mapping, not ") +
                                   item.kind_name());
    if (!m) continue;
    if (!m->target.starts_with("/"))
      ctx.diags->add(item.loc, "mount target must be an absolute path in the container, not \"" +
                                   m->target + "\"");
    out.push_back(*m);
  }
  return out;
}

}  // namespace

void set_env(std::vector<std::pair<std::string, std::string>>& env, const std::string& k,
             const std::string& v) {
  for (auto& [key, value] : env)
    if (key == k) {
      value = v;
      return;
    }
  env.emplace_back(k, v);
}

void parse_env(const Node& n, const ParseContext& ctx, Service& s) {
  Diagnostics& d = *ctx.diags;
  auto from_process = [&](const std::string& key, const SourceLoc& loc) {
    if (!is_valid_var_name(key)) d.add(loc, "invalid environment variable name \"" + key + "\"");
    else if (auto v = ctx.vars->get(key)) set_env(s.env, key, *v);
  };
  if (n.is_map()) {
    for (size_t i = 0; i < n.entries.size(); ++i) {
      const auto& [key, value] = n.entries[i];
      if (value.is_null()) from_process(key, n.key_locs[i]);
      else if (auto v = read_string(value, d, "env value of " + key)) {
        if (!is_valid_var_name(key))
          d.add(n.key_locs[i], "invalid environment variable name \"" + key + "\"");
        set_env(s.env, key, *v);
      }
    }
  } else if (n.is_seq()) {
    for (const auto& item : n.items) {
      auto v = read_string(item, d, "env entries");
      if (!v) continue;
      size_t eq = v->find('=');
      if (eq == std::string::npos) from_process(*v, item.loc);
      else set_env(s.env, v->substr(0, eq), v->substr(eq + 1));
    }
  } else {
    d.add(n.loc, "env must be a mapping (KEY: value) or a list of KEY=value");
  }
}

void parse_env_files(const Node& n, const ParseContext& ctx, Service& s) {
  // Entry by entry, so that a missing file is reported at its own list entry.
  std::vector<const Node*> items;
  if (n.is_seq())
    for (const auto& item : n.items) items.push_back(&item);
  else if (n.is_scalar())
    items.push_back(&n);
  else if (!n.is_null())
    ctx.diags->add(n.loc, std::string("env_file must be a string or a list of strings, not ") +
                              n.kind_name());
  for (const Node* item : items) {
    std::optional<std::string> file;
    bool required = true;
    if (item->is_map()) {  // compose's long form: {path: x, required: false}
      MapReader r(*item, "an env_file entry", *ctx.diags);
      if (auto* x = r.take("path")) file = read_string(*x, *ctx.diags, "env_file path");
      else ctx.diags->add(item->loc, "an env_file entry needs a \"path\"");
      if (auto* x = r.take("required")) required = read_bool(*x, *ctx.diags, "required").value_or(true);
      r.finish();
    } else {
      file = read_string(*item, *ctx.diags, "env_file entries");
    }
    if (!file) continue;
    std::string path = resolve_path(ctx.project_dir, *file);
    auto text = read_text_file(path);
    if (!text) {
      if (required)
        ctx.diags->add(item->loc, "env_file \"" + *file + "\" not found (looked at " + path + ")");
      continue;
    }
    try {
      for (auto& [k, v] : parse_dotenv(*text, project_relative(path, ctx.project_dir), *ctx.vars)) {
        // An explicit env: entry wins over the file, as in compose.
        bool explicit_entry = false;
        for (auto& [ek, ev] : s.env) explicit_entry |= ek == k;
        if (!explicit_entry) s.env.emplace_back(k, v);
        (*ctx.secrets)[k] = v;
      }
    } catch (const ProfileError& e) {
      for (const auto& diag : e.diagnostics()) ctx.diags->add(diag.loc, diag.message);
    }
  }
}

std::vector<NetworkAttachment> parse_service_networks(const Node& n, Diagnostics& d) {
  std::vector<NetworkAttachment> out;
  if (n.is_seq() || n.is_scalar()) {
    for (auto& name : read_string_list(n, d, "networks")) out.push_back({name, {}});
  } else if (n.is_map()) {
    for (const auto& [name, value] : n.entries) {
      NetworkAttachment a{name, {}};
      MapReader r(value, "network " + name, d);
      if (auto* x = r.take("aliases")) a.aliases = read_string_list(*x, d, "aliases");
      r.finish();
      out.push_back(a);
    }
  } else {
    d.add(n.loc, "networks must be a list of network names or a mapping");
  }
  return out;
}

namespace {

std::optional<DependsOn::Condition> parse_condition(const Node& n, Diagnostics& d) {
  auto s = read_string(n, d, "condition");
  if (!s) return std::nullopt;
  if (*s == "started" || *s == "service_started") return DependsOn::Condition::kStarted;
  if (*s == "healthy" || *s == "service_healthy") return DependsOn::Condition::kHealthy;
  if (*s == "completed" || *s == "service_completed_successfully")
    return DependsOn::Condition::kCompleted;
  d.add(n.loc, "condition must be started, healthy or completed, not \"" + *s + "\"");
  return std::nullopt;
}

std::vector<DependsOn> parse_depends_on(const Node& n, Diagnostics& d) {
  std::vector<DependsOn> out;
  if (n.is_seq() || n.is_scalar()) {
    for (const auto& item : n.is_seq() ? n.items : std::vector<Node>{n})
      if (auto s = read_string(item, d, "depends_on entries"))
        out.push_back(DependsOn{*s, DependsOn::Condition::kHealthy, true, false, item.loc});
  } else if (n.is_map()) {
    for (size_t i = 0; i < n.entries.size(); ++i) {
      const auto& [name, value] = n.entries[i];
      DependsOn dep{name, DependsOn::Condition::kHealthy, true, false, n.key_locs[i]};
      if (value.is_scalar()) {
        dep.condition = parse_condition(value, d).value_or(dep.condition);
      } else {
        MapReader r(value, "depends_on." + name, d);
        if (auto* x = r.take("condition")) dep.condition = parse_condition(*x, d).value_or(dep.condition);
        r.finish();
      }
      out.push_back(dep);
    }
  } else {
    d.add(n.loc, "depends_on must be a list of services or a mapping");
  }
  return out;
}

}  // namespace

// Compose spellings people bring with them, and the biodev key they mean.
static const char* compose_hint(const std::string& key) {
  static const std::pair<const char*, const char*> hints[] = {
      {"environment", "env"},      {"volumes", "mounts"},          {"deploy", "resources"},
      {"container_name", ""},      {"expose", "ports"},
      {"stop_grace_period", "stop_grace"}, {"working-dir", "working_dir"}};
  for (auto& [from, to] : hints)
    if (key == from) return to;
  return nullptr;
}

// watch: a path, a list of paths, or {paths: ..., restart: process | container}.
static void parse_watch(const Node& n, const ParseContext& ctx, Service& s) {
  Diagnostics& d = *ctx.diags;
  const Node* paths = &n;
  if (n.is_map()) {
    MapReader wr(n, "watch", d);
    paths = wr.take("paths");
    if (auto* x = wr.take("restart")) {
      std::string v = read_string(*x, d, "watch restart").value_or("process");
      if (v == "container") s.watch_restart = Service::WatchRestart::kContainer;
      else if (v != "process") d.add(x->loc, "watch restart must be process or container, not \"" + v + "\"");
    }
    wr.finish();
    if (!paths) {
      d.add(n.loc, "watch needs paths: the host folders or files whose changes restart the service");
      return;
    }
  }
  for (auto& p : read_string_list(*paths, d, "watch")) s.watch.push_back(resolve_path(ctx.project_dir, p));
}

void parse_service_fields(MapReader& r, const ParseContext& ctx, Service& s) {
  Diagnostics& d = *ctx.diags;
  const std::string w = "service " + s.name;
  if (auto* x = r.take("image")) s.image = read_string(*x, d, w + " image").value_or("");
  if (auto* x = r.take("build")) s.build = parse_build(*x, ctx, s.name);
  if (auto* x = r.take("command")) s.command = read_command(*x, d, "command");
  if (auto* x = r.take("entrypoint")) s.entrypoint = read_command(*x, d, "entrypoint");
  if (auto* x = r.take("env")) parse_env(*x, ctx, s);
  if (auto* x = r.take("env_file")) parse_env_files(*x, ctx, s);
  if (auto* x = r.take("ports")) s.ports = parse_ports(*x, d);
  if (auto* x = r.take("mounts")) s.mounts = parse_mounts(*x, ctx);
  if (auto* x = r.take("networks")) s.networks = parse_service_networks(*x, d);
  if (auto* x = r.take("depends_on")) s.depends_on = parse_depends_on(*x, d);
  if (auto* x = r.take("ready")) s.ready = parse_ready(*x, d);
  if (auto* x = r.take("healthcheck")) s.healthcheck = parse_healthcheck(*x, d);
  if (auto* x = r.take("resources")) {
    MapReader rr(*x, w + " resources", d);
    if (auto* y = rr.take("cpus")) s.resources.cpus = read_double(*y, d, "cpus").value_or(0);
    if (auto* y = rr.take("memory")) s.resources.memory_bytes = read_bytes(*y, d, "memory").value_or(0);
    rr.finish();
  }
  if (auto* x = r.take("pool")) s.pool = read_string(*x, d, "pool").value_or("");
  if (auto* x = r.take("user")) s.user = read_string(*x, d, "user").value_or("");
  if (auto* x = r.take("working_dir")) s.working_dir = read_string(*x, d, "working_dir").value_or("");
  if (auto* x = r.take("labels")) {
    MapReader lr(*x, w + " labels", d);
    for (const auto& [k, v] : x->entries)
      if (auto val = read_string(v, d, "label " + k)) s.labels[k] = *val;
    if (x->is_map())
      for (const auto& [k, v] : x->entries)
        if (k.starts_with("dev.biodev."))
          d.add(x->key_loc(k), "labels under dev.biodev. are reserved for biodev itself");
  }
  if (auto* x = r.take("init")) s.init = read_bool(*x, d, "init").value_or(true);
  if (auto* x = r.take("required")) s.required = read_bool(*x, d, "required").value_or(true);
  if (auto* x = r.take("restart")) {
    s.restart = read_string(*x, d, "restart").value_or("no");
    if (s.restart != "no" && s.restart != "on-failure" && s.restart != "unless-stopped" &&
        s.restart != "always")
      d.add(x->loc, "restart must be no, on-failure, unless-stopped or always");
  }
  if (auto* x = r.take("stand_in")) s.stand_in = read_string(*x, d, "stand_in").value_or("");
  if (auto* x = r.take("watch")) parse_watch(*x, ctx, s);
  if (auto* x = r.take("routes")) s.routes = parse_routes(*x, d);
  if (auto* x = r.take("gateway")) s.gateway = read_bool(*x, d, "gateway").value_or(false);
  if (auto* x = r.take("seed")) s.seed = parse_seed(*x, ctx);
  if (auto* x = r.take("stop_grace")) {
    long long ms = read_duration_ms(*x, d, "stop_grace").value_or(2000);
    s.stop_grace_s = static_cast<int>((ms + 999) / 1000);
  }
}

void report_compose_keys(const Node& node, MapReader& r, Diagnostics& d,
                         const std::string& name) {
  for (size_t i = 0; i < node.entries.size(); ++i) {
    const std::string& key = node.entries[i].first;
    if (const char* hint = compose_hint(key)) {
      r.take(key);  // reported here with a better message than "unknown key"
      std::string msg = "\"" + key + "\" is a docker compose key; ";
      msg += *hint ? "biodev calls it \"" + std::string(hint) + "\""
                   : "biodev profiles do not support it (see docs/profile.md)";
      d.add(node.key_locs[i], msg + " (service " + name + ")");
    }
  }
}

}  // namespace biodev::profile
