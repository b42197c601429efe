#include "profile/print_compose.h"

#include "profile/compose_keys.h"
#include "profile/print.h"
#include "util/strings.h"

namespace biodev::profile {

using json = nlohmann::ordered_json;

namespace {

json ulimit_json(const Ulimit& u) {
  return u.soft == u.hard ? json(u.soft) : json{{"soft", u.soft}, {"hard", u.hard}};
}

json port_json(const PortSpec& p) {
  json j = {{"mode", "ingress"}};
  if (!p.host_ip.empty() && p.host_ip != "0.0.0.0") j["host_ip"] = p.host_ip;
  j["target"] = p.container_port;
  if (p.host_port) j["published"] = std::to_string(p.host_port);
  j["protocol"] = p.protocol;
  return j;
}

json volume_json(const MountSpec& m) {
  static const char* types[] = {"bind", "volume", "tmpfs"};
  json j = {{"type", types[static_cast<int>(m.type)]}};
  // An anonymous volume prints as compose writes one: no source (its name is biodev's).
  if (!m.source.empty() && !m.anonymous) j["source"] = m.source;
  j["target"] = m.target;
  if (m.read_only) j["read_only"] = true;
  // biodev makes the folders under .data/ itself, which compose does when asked to.
  if (m.type == MountSpec::Type::kBind && (m.create_host_path || m.data)) j["bind"] = {{"create_host_path", true}};
  if (m.type == MountSpec::Type::kTmpfs && (m.tmpfs_size || m.tmpfs_mode)) {
    j["tmpfs"] = json::object();
    if (m.tmpfs_size) j["tmpfs"]["size"] = m.tmpfs_size;
    if (m.tmpfs_mode) j["tmpfs"]["mode"] = m.tmpfs_mode;
  }
  return j;
}

json healthcheck_json(const Healthcheck& h) {
  if (!h.test.empty() && h.test[0] == "NONE") return {{"disable", true}};
  json j = {{"test", h.test}, {"interval", ms_string(h.interval_ms)}, {"timeout", ms_string(h.timeout_ms)},
            {"retries", h.retries}};
  if (h.start_period_ms) j["start_period"] = ms_string(h.start_period_ms);
  if (h.start_interval_ms) j["start_interval"] = ms_string(h.start_interval_ms);
  return j;
}

json grants_json(const std::vector<FileGrant>& grants) {
  json out = json::array();
  for (const auto& g : grants) {
    json j = {{"source", g.source}, {"target", g.target}};
    if (!g.uid.empty()) j["uid"] = g.uid;
    if (!g.gid.empty()) j["gid"] = g.gid;
    if (g.mode >= 0) j["mode"] = g.mode;
    out.push_back(j);
  }
  return out;
}

json deploy_json(const Service& s) {
  json res = json::object();
  const Resources& r = s.resources;
  if (r.cpus) res["limits"]["cpus"] = r.cpus;
  if (r.memory_bytes) res["limits"]["memory"] = std::to_string(r.memory_bytes);
  if (r.pids_limit) res["limits"]["pids"] = r.pids_limit;
  if (r.memory_reservation_bytes) res["reservations"]["memory"] = std::to_string(r.memory_reservation_bytes);
  for (const auto& d : s.device_requests) {
    json dj = {{"capabilities", d.capabilities}};
    if (!d.driver.empty()) dj["driver"] = d.driver;
    if (d.count) dj["count"] = d.count < 0 ? json("all") : json(d.count);
    if (!d.device_ids.empty()) dj["device_ids"] = d.device_ids;
    if (!d.options.empty()) dj["options"] = d.options;
    res["reservations"]["devices"].push_back(dj);
  }
  return res.empty() ? json() : json{{"resources", res}};
}

// biodev's own keys, under the extension compose ignores.
json biodev_json(const Service& s, const Redactor& redact) {
  json x = json::object();
  if (s.ready.kind != ProbeSpec::Kind::kNone) x["ready"] = probe_json(s.ready);
  if (s.seed.kind != SeedSpec::Kind::kNone) x["seed"] = seed_json(s.seed, redact);
  if (!s.stand_in.empty()) x["stand_in"] = s.stand_in;
  if (!s.required) x["required"] = false;
  if (!s.pool.empty()) x["pool"] = s.pool;
  if (!s.watch.empty() && s.watch_restart == Service::WatchRestart::kContainer)
    x["watch"] = {{"paths", s.watch}, {"restart", "container"}};
  else if (!s.watch.empty())
    x["watch"] = s.watch;
  if (s.gateway) x["gateway"] = true;
  for (const auto& r : s.routes) {
    std::string target = r.service + ":" + std::to_string(r.port);
    if (r.strip_prefix) x["routes"][r.prefix] = {{"target", target}, {"strip_prefix", true}};
    else x["routes"][r.prefix] = target;
  }
  if (!s.substitute_for.empty()) x["substitute_for"] = s.substitute_for;
  return x;
}

void add_keys(json& j, const Service& s) {
  for (const auto& [key, field] : kComposeStringKeys)
    if (!(s.*field).empty()) j[key] = s.*field;
  if (!s.pull_policy.empty()) j["pull_policy"] = s.pull_policy;
  for (const auto& [key, field] : kComposeListKeys)
    if (!(s.*field).empty()) j[key] = s.*field;
  for (const auto& [key, field] : kComposeFlagKeys)
    if (s.*field) j[key] = true;
  if (!s.extra_hosts.empty()) j["extra_hosts"] = s.extra_hosts;
  if (s.shm_size) j["shm_size"] = std::to_string(s.shm_size);
  if (!s.sysctls.empty()) j["sysctls"] = s.sysctls;
  for (const auto& u : s.ulimits) j["ulimits"][u.name] = ulimit_json(u);
  if (!s.secrets.empty()) j["secrets"] = grants_json(s.secrets);
  if (!s.configs.empty()) j["configs"] = grants_json(s.configs);
}

json build_json(const BuildSpec& b) {
  json j = {{"context", b.context}};
  if (!b.dockerfile_inline.empty()) j["dockerfile_inline"] = b.dockerfile_inline;
  else if (!b.dockerfile.empty()) j["dockerfile"] = b.dockerfile;
  for (const auto& [k, v] : b.args) j["args"][k] = v;
  if (!b.target.empty()) j["target"] = b.target;
  if (!b.labels.empty()) j["labels"] = b.labels;
  if (!b.cache_from.empty()) j["cache_from"] = b.cache_from;
  if (!b.network.empty()) j["network"] = b.network;
  if (!b.extra_hosts.empty()) j["extra_hosts"] = b.extra_hosts;
  if (b.shm_size) j["shm_size"] = std::to_string(b.shm_size);
  for (const auto& u : b.ulimits) j["ulimits"][u.name] = ulimit_json(u);
  if (b.no_cache) j["no_cache"] = true;
  return j;
}

json service_json(const Service& s, const Redactor& redact) {
  json j = json::object();
  if (s.build) j["build"] = build_json(*s.build);
  if (!s.image.empty()) j["image"] = s.image;
  if (!s.entrypoint.empty()) j["entrypoint"] = s.entrypoint;
  if (!s.command.empty()) {
    json cmd = json::array();
    for (const auto& c : s.command) cmd.push_back(redact(c));
    j["command"] = cmd;
  }
  if (!s.env.empty())
    for (const auto& [k, v] : s.env) j["environment"][k] = is_secret_name(k) ? kRedacted : redact(v);
  for (const auto& p : s.ports) j["ports"].push_back(port_json(p));
  if (!s.expose.empty()) j["expose"] = s.expose;
  for (const auto& m : s.mounts) j["volumes"].push_back(volume_json(m));
  for (const auto& n : s.networks)
    j["networks"][n.network] = n.aliases.empty() ? json() : json{{"aliases", n.aliases}};
  for (const auto& d : s.depends_on) {
    json dj = {{"condition", std::string("service_") + (d.condition == DependsOn::Condition::kStarted
                                                            ? "started"
                                                        : d.condition == DependsOn::Condition::kHealthy
                                                            ? "healthy"
                                                            : "completed_successfully")},
               {"required", d.required}};
    if (d.restart) dj["restart"] = true;
    j["depends_on"][d.service] = dj;
  }
  if (s.healthcheck) j["healthcheck"] = healthcheck_json(*s.healthcheck);
  if (s.restart != "no")
    j["restart"] = s.restart_max_retries ? s.restart + ":" + std::to_string(s.restart_max_retries) : s.restart;
  if (s.init) j["init"] = true;
  if (s.stop_grace_s != 10) j["stop_grace_period"] = std::to_string(s.stop_grace_s) + "s";
  if (!s.labels.empty()) j["labels"] = s.labels;
  if (json d = deploy_json(s); !d.is_null()) j["deploy"] = d;
  add_keys(j, s);
  return j;
}

json file_sources_json(const std::vector<FileSource>& defs) {
  json out = json::object();
  for (const auto& f : defs) {
    switch (f.kind) {
      case FileSource::Kind::kFile: out[f.name] = {{"file", f.file}}; break;
      case FileSource::Kind::kEnvironment: out[f.name] = {{"environment", f.environment}}; break;
      case FileSource::Kind::kContent:
        out[f.name] = {{"content", f.secret ? std::string(kRedacted) : f.content}};
        break;
      case FileSource::Kind::kExternal: out[f.name] = {{"external", true}}; break;
    }
  }
  return out;
}

template <typename T>
json resource_json(const T& r, const std::string& project) {
  json j = {{"name", r.engine_name.empty() ? project + "_" + r.name : r.engine_name}};
  if (r.external) j["external"] = true;
  if (!r.driver.empty()) j["driver"] = r.driver;
  if (!r.driver_opts.empty()) j["driver_opts"] = r.driver_opts;
  if (!r.labels.empty()) j["labels"] = r.labels;
  return j;
}

// A compose file interpolates `$`: a literal one is written `$$`, as docker compose's
// own config prints it.
void escape_dollars(json& j) {
  if (j.is_string()) {
    std::string s = j.get<std::string>(), out;
    for (char c : s) out += c == '$' ? std::string("$$") : std::string(1, c);
    j = out;
  } else if (j.is_structured()) {
    for (auto& item : j) escape_dollars(item);
  }
}

}  // namespace

json to_compose_json(const Profile& p, const Redactor& redact) {
  json j = {{"name", p.project}, {"services", json::object()}};
  for (const auto& s : p.services) {
    json sj = service_json(s, redact);
    json x = biodev_json(s, redact);
    if (s.offline) {
      // Only what the offline variant changes, as x-biodev.offline writes it.
      json off = service_json(*s.offline, redact), diff = json::object();
      for (auto it = off.begin(); it != off.end(); ++it)
        if (!sj.contains(it.key()) || sj[it.key()] != it.value()) diff[it.key()] = it.value();
      if (!diff.empty()) x["offline"] = diff;
    }
    if (!x.empty()) sj["x-biodev"] = x;
    j["services"][s.name] = sj;
  }
  for (const auto& n : p.networks) {
    json nj = resource_json(n, p.project);
    if (n.internal) nj["internal"] = true;
    if (n.attachable) nj["attachable"] = true;
    if (n.enable_ipv6) nj["enable_ipv6"] = true;
    j["networks"][n.name] = nj;
  }
  for (const auto& v : p.volumes)
    if (v.service.empty()) j["volumes"][v.name] = resource_json(v, p.project);
  if (!p.secrets_defs.empty()) j["secrets"] = file_sources_json(p.secrets_defs);
  if (!p.configs_defs.empty()) j["configs"] = file_sources_json(p.configs_defs);
  for (const auto& e : p.exports) j["x-biodev"]["exports"][e.name] = redact(e.template_);
  if (p.shared_sandbox) j["x-biodev"]["shared_sandbox"] = true;
  escape_dollars(j);
  return j;
}

}  // namespace biodev::profile
