// The keys of a compose service, read into the same Service biodev's profiles produce.
// A key biodev cannot honour is an error naming it; one that cannot change what runs
// is a warning; anything else unknown is an error with a "did you mean".
#include "profile/compose_keys.h"
#include "profile/compose_merge.h"
#include "profile/compose_parse.h"
#include "profile/healthcheck_probe.h"
#include "profile/reader.h"
#include "util/strings.h"

namespace biodev::profile {

namespace {

// Keys that change what runs and that biodev does not carry to the engine.
const char* const kRefused[] = {
    "external_links", "volumes_from", "domainname", "mac_address", "dns_search", "dns_opt",
    "cgroup_parent", "cgroup", "cpu_shares", "cpu_quota", "cpu_period", "cpuset", "cpu_count",
    "cpu_percent", "cpu_rt_runtime", "cpu_rt_period", "memswap_limit", "mem_swappiness",
    "oom_kill_disable", "oom_score_adj", "userns_mode", "uts", "isolation", "runtime",
    "storage_opt", "blkio_config", "device_cgroup_rules", "credential_spec", "post_start",
    "pre_stop", "label_file", "annotations", "use_api_socket", "models", "provider"};

// Keys that change nothing about the containers that run (docker compose's own
// presentation or tooling), reported and left out.
const char* const kIgnored[] = {"logging", "attach", "develop"};

// x-biodev keys of a service, read with the profile's own parsers.
const std::vector<std::string> kBiodevServiceKeys = {"ready", "seed", "stand_in", "offline", "watch",
                                                     "gateway", "routes", "pool", "required"};

void take_classified_keys(const Node& node, MapReader& r, const ComposeParse& cp,
                          const std::string& name) {
  for (size_t i = 0; i < node.entries.size(); ++i) {
    const std::string& key = node.entries[i].first;
    const SourceLoc& loc = node.key_locs[i];
    if (key.starts_with("x-") && key != "x-biodev") {
      r.take(key);
    } else if (std::find(std::begin(kRefused), std::end(kRefused), key) != std::end(kRefused)) {
      r.take(key);
      cp.ctx.diags->add(loc, "\"" + key + "\" is not supported by biodev (service " + name +
                                 "): it changes how the container runs, so biodev stops "
                                 "rather than run it differently; remove it or see docs/compose.md");
    } else if (std::find(std::begin(kIgnored), std::end(kIgnored), key) != std::end(kIgnored)) {
      r.take(key);
      cp.warn(loc, "\"" + key + "\" (service " + name + ") is ignored by biodev");
    }
  }
}

std::map<std::string, std::string> read_string_map(const Node& n, Diagnostics& d,
                                                   const std::string& what, char sep = '=') {
  std::map<std::string, std::string> out;
  if (n.is_map()) {
    for (const auto& [k, v] : n.entries)
      out[k] = v.is_null() ? "" : read_string(v, d, what + " " + k).value_or("");
  } else if (n.is_seq()) {
    for (const auto& item : n.items)
      if (auto s = read_string(item, d, what + " entries")) {
        size_t at = s->find(sep);
        out[s->substr(0, at)] = at == std::string::npos ? "" : s->substr(at + 1);
      }
  } else {
    d.add(n.loc, what + " must be a mapping or a list of KEY" + sep + "VALUE");
  }
  return out;
}

std::vector<DependsOn> parse_compose_depends_on(const Node& n, Diagnostics& d) {
  std::vector<DependsOn> out;
  if (n.is_seq()) {  // the list form means service_started, as in compose
    for (const auto& item : n.items)
      if (auto s = read_string(item, d, "depends_on entries"))
        out.push_back({*s, DependsOn::Condition::kStarted, true, false, item.loc});
    return out;
  }
  if (!n.is_map()) {
    d.add(n.loc, "depends_on must be a list of services or a mapping");
    return out;
  }
  for (size_t i = 0; i < n.entries.size(); ++i) {
    const auto& [name, value] = n.entries[i];
    DependsOn dep{name, DependsOn::Condition::kStarted, true, false, n.key_locs[i]};
    MapReader r(value, "depends_on." + name, d);
    if (auto* x = r.take("condition")) {
      std::string c = read_string(*x, d, "condition").value_or("service_started");
      if (c == "service_healthy") dep.condition = DependsOn::Condition::kHealthy;
      else if (c == "service_completed_successfully") dep.condition = DependsOn::Condition::kCompleted;
      else if (c != "service_started")
        d.add(x->loc, "condition must be service_started, service_healthy or "
                      "service_completed_successfully, not \"" + c + "\"");
    }
    if (auto* x = r.take("required")) dep.required = read_bool(*x, d, "required").value_or(true);
    if (auto* x = r.take("restart")) dep.restart = read_bool(*x, d, "restart").value_or(false);
    r.finish();
    out.push_back(dep);
  }
  return out;
}

void parse_restart(const Node& n, Diagnostics& d, Service& s) {
  std::string r = read_string(n, d, "restart").value_or("no");
  if (r.starts_with("on-failure:")) {
    s.restart = "on-failure";
    s.restart_max_retries = static_cast<int>(std::strtol(r.c_str() + 11, nullptr, 10));
    if (r.find_first_not_of("0123456789", 11) != std::string::npos || r.size() == 11)
      d.add(n.loc, "restart on-failure:N needs a whole number N");
    return;
  }
  s.restart = r;
  if (r != "no" && r != "on-failure" && r != "unless-stopped" && r != "always")
    d.add(n.loc, "restart must be no, always, unless-stopped, on-failure or on-failure:N, not \"" +
                     r + "\"");
}

DeviceRequest parse_device_request(const Node& n, Diagnostics& d) {
  DeviceRequest dev;
  MapReader r(n, "a device request", d);
  if (auto* x = r.take("driver")) dev.driver = read_string(*x, d, "driver").value_or("");
  if (auto* x = r.take("count")) {
    if (x->is_scalar() && x->scalar == "all") dev.count = -1;
    else dev.count = static_cast<int>(read_int(*x, d, "count", 0, 1024).value_or(0));
  }
  if (auto* x = r.take("device_ids")) dev.device_ids = read_string_list(*x, d, "device_ids");
  if (auto* x = r.take("capabilities")) dev.capabilities = read_string_list(*x, d, "capabilities");
  if (auto* x = r.take("options")) dev.options = read_string_map(*x, d, "options");
  r.finish();
  if (dev.count == 0 && dev.device_ids.empty()) dev.count = -1;  // compose: all devices
  return dev;
}

void parse_resources(const Node& n, const ComposeParse& cp, Service& s) {
  Diagnostics& d = *cp.ctx.diags;
  MapReader r(n, "deploy.resources", d);
  if (auto* x = r.take("limits")) {
    MapReader l(*x, "deploy.resources.limits", d);
    if (auto* y = l.take("cpus")) s.resources.cpus = read_double(*y, d, "cpus").value_or(0);
    if (auto* y = l.take("memory")) s.resources.memory_bytes = read_bytes(*y, d, "memory").value_or(0);
    if (auto* y = l.take("pids")) s.resources.pids_limit = read_int(*y, d, "pids", 1, 1 << 30).value_or(0);
    l.finish();
  }
  if (auto* x = r.take("reservations")) {
    MapReader v(*x, "deploy.resources.reservations", d);
    if (auto* y = v.take("memory"))
      s.resources.memory_reservation_bytes = read_bytes(*y, d, "memory").value_or(0);
    if (auto* y = v.take("cpus"))
      cp.warn(y->loc, "reservations.cpus only places swarm tasks; ignored, as docker compose does");
    if (auto* y = v.take("devices")) {
      if (!y->is_seq()) d.add(y->loc, "devices must be a list");
      for (const auto& item : y->items) s.device_requests.push_back(parse_device_request(item, d));
    }
    v.finish();
  }
  r.finish();
}

void parse_deploy(const Node& n, const ComposeParse& cp, Service& s) {
  Diagnostics& d = *cp.ctx.diags;
  MapReader r(n, "deploy", d);
  if (auto* x = r.take("resources")) parse_resources(*x, cp, s);
  if (auto* x = r.take("replicas"))
    if (read_int(*x, d, "replicas", 0, 1 << 20).value_or(1) > 1)
      d.add(x->loc, "replicas above 1 are not supported by biodev (one container per service)");
  if (auto* x = r.take("mode"))
    if (read_string(*x, d, "mode").value_or("replicated") != "replicated")
      d.add(x->loc, "deploy.mode must be replicated (global is a swarm mode)");
  if (auto* x = r.take("restart_policy")) {
    MapReader p(*x, "deploy.restart_policy", d);
    if (auto* y = p.take("condition")) {
      std::string c = read_string(*y, d, "condition").value_or("any");
      s.restart = c == "none" ? "no" : c == "on-failure" ? "on-failure" : "always";
      if (c != "none" && c != "on-failure" && c != "any")
        d.add(y->loc, "restart_policy.condition must be none, on-failure or any");
    }
    if (auto* y = p.take("max_attempts"))
      s.restart_max_retries = static_cast<int>(read_int(*y, d, "max_attempts", 0, 1 << 20).value_or(0));
    for (const char* k : {"delay", "window"})
      if (auto* y = p.take(k)) cp.warn(y->loc, std::string("restart_policy.") + k + " is swarm-only; ignored");
    p.finish();
  }
  for (const char* k : {"placement", "update_config", "rollback_config", "endpoint_mode", "labels"})
    if (auto* x = r.take(k))
      cp.warn(x->loc, std::string("deploy.") + k + " only applies to swarm; ignored, as docker compose does");
  r.finish();
}

void parse_gpus(const Node& n, Diagnostics& d, Service& s) {
  if (n.is_scalar()) {
    if (n.scalar != "all") d.add(n.loc, "gpus must be \"all\" or a list of device requests");
    s.device_requests.push_back({"", -1, {}, {"gpu"}, {}});
    return;
  }
  if (!n.is_seq()) d.add(n.loc, "gpus must be \"all\" or a list of device requests");
  for (const auto& item : n.items) {
    DeviceRequest dev = parse_device_request(item, d);
    if (dev.capabilities.empty()) dev.capabilities = {"gpu"};
    s.device_requests.push_back(dev);
  }
}

std::vector<std::string> read_expose(const Node& n, Diagnostics& d) {
  std::vector<std::string> out = read_string_list(n, d, "expose");
  for (const auto& e : out)
    if (e.empty() || !std::isdigit(static_cast<unsigned char>(e[0])))
      d.add(n.loc, "expose entries are container ports such as 8000 or 8000/udp, not \"" + e + "\"");
  return out;
}

void parse_labels(const Node& n, Diagnostics& d, Service& s) {
  s.labels = read_string_map(n, d, "labels");
  for (const auto& [k, v] : s.labels)
    if (k.starts_with("dev.biodev."))
      d.add(n.loc, "labels under dev.biodev. are reserved for biodev itself (" + k + ")");
}

void parse_legacy_resources(MapReader& r, const ComposeParse& cp, Service& s) {
  Diagnostics& d = *cp.ctx.diags;
  if (auto* x = r.take("cpus")) s.resources.cpus = read_double(*x, d, "cpus").value_or(0);
  if (auto* x = r.take("mem_limit")) s.resources.memory_bytes = read_bytes(*x, d, "mem_limit").value_or(0);
  if (auto* x = r.take("mem_reservation"))
    s.resources.memory_reservation_bytes = read_bytes(*x, d, "mem_reservation").value_or(0);
  if (auto* x = r.take("pids_limit")) s.resources.pids_limit = read_int(*x, d, "pids_limit", -1, 1 << 30).value_or(0);
  if (auto* x = r.take("scale"))
    if (read_int(*x, d, "scale", 0, 1 << 20).value_or(1) > 1)
      d.add(x->loc, "scale above 1 is not supported by biodev (one container per service)");
}

void parse_links(const Node& n, Diagnostics& d, Service& s) {
  // On a user network every service is already reachable by its name; a link is then
  // only an ordering, which is what biodev keeps. An alias would need the other end.
  for (const auto& item : n.is_seq() ? n.items : std::vector<Node>{})
    if (auto l = read_string(item, d, "links entries")) {
      size_t colon = l->find(':');
      if (colon != std::string::npos && l->substr(colon + 1) != l->substr(0, colon))
        d.add(item.loc, "link aliases are not supported by biodev; use networks.<net>.aliases "
                        "on " + l->substr(0, colon));
      s.depends_on.push_back({l->substr(0, colon), DependsOn::Condition::kStarted, true, false, item.loc});
    }
  if (!n.is_seq()) d.add(n.loc, "links must be a list");
}

void parse_runtime_fields(MapReader& r, const ComposeParse& cp, Service& s) {
  Diagnostics& d = *cp.ctx.diags;
  for (const auto& [key, field] : kComposeStringKeys)
    if (auto* x = r.take(key)) s.*field = read_string(*x, d, key).value_or("");
  for (const auto& [key, field] : kComposeListKeys)
    if (auto* x = r.take(key)) s.*field = read_string_list(*x, d, key);
  for (const auto& [key, field] : kComposeFlagKeys)
    if (auto* x = r.take(key)) s.*field = read_bool(*x, d, key).value_or(false);
  if (auto* x = r.take("init")) s.init = read_bool(*x, d, "init").value_or(false);
  if (auto* x = r.take("shm_size")) s.shm_size = read_bytes(*x, d, "shm_size").value_or(0);
  if (auto* x = r.take("ulimits")) s.ulimits = parse_ulimits(*x, d);
  if (auto* x = r.take("sysctls")) s.sysctls = read_string_map(*x, d, "sysctls");
  if (auto* x = r.take("extra_hosts")) s.extra_hosts = parse_extra_hosts(*x, d);
  if (auto* x = r.take("labels")) parse_labels(*x, d, s);
  if (auto* x = r.take("restart")) parse_restart(*x, d, s);
  if (auto* x = r.take("stop_grace_period")) {
    long long ms = read_duration_ms(*x, d, "stop_grace_period").value_or(10000);
    s.stop_grace_s = static_cast<int>((ms + 999) / 1000);
  }
  if (auto* x = r.take("pull_policy")) {
    s.pull_policy = read_string(*x, d, "pull_policy").value_or("");
    if (s.pull_policy == "if_not_present") s.pull_policy = "missing";
    if (s.pull_policy != "always" && s.pull_policy != "never" && s.pull_policy != "missing" &&
        s.pull_policy != "build")
      d.add(x->loc, "pull_policy must be always, never, missing or build, not \"" + s.pull_policy + "\"");
  }
  if (auto* x = r.take("deploy")) parse_deploy(*x, cp, s);
  if (auto* x = r.take("gpus")) parse_gpus(*x, d, s);
  parse_legacy_resources(r, cp, s);
}

void parse_io_fields(MapReader& r, const ComposeParse& cp, Service& s) {
  Diagnostics& d = *cp.ctx.diags;
  if (auto* x = r.take("image")) s.image = read_string(*x, d, "service " + s.name + " image").value_or("");
  if (auto* x = r.take("build")) s.build = parse_build(*x, cp.ctx, s.name);
  if (auto* x = r.take("command")) s.command = read_command(*x, d, "command");
  if (auto* x = r.take("entrypoint")) s.entrypoint = read_command(*x, d, "entrypoint");
  if (auto* x = r.take("environment")) parse_env(*x, cp.ctx, s);
  if (auto* x = r.take("env_file")) parse_env_files(*x, cp.ctx, s);
  if (auto* x = r.take("ports")) s.ports = parse_compose_ports(*x, d);
  if (auto* x = r.take("expose")) s.expose = read_expose(*x, d);
  if (auto* x = r.take("volumes")) s.mounts = parse_compose_volumes(*x, cp);
  if (auto* x = r.take("tmpfs"))
    for (auto& m : parse_compose_tmpfs(*x, d)) s.mounts.push_back(m);
  if (auto* x = r.take("networks")) s.networks = parse_service_networks(*x, d);
  if (auto* x = r.take("depends_on")) s.depends_on = parse_compose_depends_on(*x, d);
  if (auto* x = r.take("links")) parse_links(*x, d, s);
  if (auto* x = r.take("secrets")) s.secrets = parse_grants(*x, true, d);
  if (auto* x = r.take("configs")) s.configs = parse_grants(*x, false, d);
  if (auto* x = r.take("healthcheck")) {
    Healthcheck compose_defaults;  // the engine's defaults, which compose leaves in place
    compose_defaults.interval_ms = compose_defaults.timeout_ms = 30000;
    compose_defaults.retries = 3;
    s.healthcheck = parse_healthcheck(*x, d, compose_defaults);
  }
}

// x-biodev: biodev's own keys, read by the profile's parsers. Returns the offline
// overrides, if any.
const Node* parse_biodev_extension(const Node& x, const ComposeParse& cp, Service& s) {
  Diagnostics& d = *cp.ctx.diags;
  MapReader check(x, "x-biodev of service " + s.name, d);
  for (const auto& k : kBiodevServiceKeys) check.take(k);
  check.finish();
  Node known = x;
  std::erase_if(known.entries, [](const auto& e) {
    return e.first == "offline" ||
           std::find(kBiodevServiceKeys.begin(), kBiodevServiceKeys.end(), e.first) == kBiodevServiceKeys.end();
  });
  known.key_locs.clear();
  for (const auto& e : known.entries) known.key_locs.push_back(x.key_loc(e.first));
  MapReader fields(known, "x-biodev", d);
  parse_service_fields(fields, cp.ctx, s);
  return x.get("offline");
}

Service parse_service_body(const std::string& name, const Node& node, const SourceLoc& loc,
                           const ComposeParse& cp, const Node** offline) {
  Service s;
  s.name = name;
  s.loc = loc;
  s.init = false;        // compose runs no init process unless asked
  s.stop_grace_s = 10;   // compose's stop_grace_period default
  Diagnostics& d = *cp.ctx.diags;
  MapReader r(node, "service " + name, d);
  take_classified_keys(node, r, cp, name);
  r.take("extends");  // resolved by the loader
  parse_io_fields(r, cp, s);
  parse_runtime_fields(r, cp, s);
  bool own_ready = false;
  if (auto* x = r.take("x-biodev")) {
    *offline = parse_biodev_extension(*x, cp, s);
    own_ready = x->get("ready") != nullptr;
  }
  r.finish();
  if (s.image.empty() && !s.build && (node.is_map() || node.is_null()))
    d.add(loc, "service " + name + " needs an \"image\" or a \"build\"");
  apply_pool(s, cp.pools, loc, d);
  if (!own_ready && s.healthcheck && !s.healthcheck->test.empty() && s.healthcheck->test[0] != "NONE") {
    if (auto probe = probe_from_healthcheck(s.healthcheck->test)) s.ready = *probe;
    else s.ready = exec_probe_from_healthcheck(*s.healthcheck);
  }
  return s;
}

}  // namespace

std::vector<Ulimit> parse_ulimits(const Node& n, Diagnostics& d) {
  std::vector<Ulimit> out;
  if (!n.is_map()) {
    d.add(n.loc, "ulimits must be a mapping");
    return out;
  }
  for (const auto& [name, v] : n.entries) {
    Ulimit u{name, 0, 0};
    if (v.is_scalar()) {
      u.soft = u.hard = read_int(v, d, "ulimit " + name, -1, 1LL << 62).value_or(0);
    } else {
      MapReader r(v, "ulimit " + name, d);
      if (auto* x = r.take("soft")) u.soft = read_int(*x, d, "soft", -1, 1LL << 62).value_or(0);
      if (auto* x = r.take("hard")) u.hard = read_int(*x, d, "hard", -1, 1LL << 62).value_or(0);
      r.finish();
    }
    out.push_back(u);
  }
  return out;
}

std::vector<std::string> parse_extra_hosts(const Node& n, Diagnostics& d) {
  std::vector<std::string> out;
  if (n.is_map()) {
    for (const auto& [host, ip] : n.entries)
      for (const auto& a : read_string_list(ip, d, "extra_hosts " + host)) out.push_back(host + ":" + a);
    return out;
  }
  for (auto& e : read_string_list(n, d, "extra_hosts")) {
    size_t eq = e.find('=');  // "host=ip" is the newer spelling of "host:ip"
    out.push_back(eq == std::string::npos ? e : e.substr(0, eq) + ":" + e.substr(eq + 1));
  }
  return out;
}

Service parse_compose_service(const std::string& name, const Node& node, const SourceLoc& loc,
                              const ComposeParse& cp) {
  const Node* offline = nullptr;
  Service s = parse_service_body(name, node, loc, cp, &offline);
  if (offline) {
    if (!offline->is_map()) {
      cp.ctx.diags->add(offline->loc, "x-biodev.offline must be a mapping of service keys to override");
    } else {
      // The offline variant is the service with these keys merged over it.
      Node merged = node;
      for (auto& [k, v] : merged.entries)
        if (k == "x-biodev") std::erase_if(v.entries, [](const auto& e) { return e.first == "offline"; });
      for (auto& [k, v] : merged.entries)
        if (k == "x-biodev") {
          v.key_locs.clear();
          for (const auto& e : v.entries) v.key_locs.push_back(node.get("x-biodev")->key_loc(e.first));
        }
      merge_compose_service(merged, *offline);
      const Node* nested = nullptr;
      s.offline = std::make_shared<Service>(parse_service_body(name, merged, loc, cp, &nested));
    }
  }
  apply_offline_substitute(s, cp.substitutes, cp.ctx.project_dir, cp.warnings);
  return s;
}

}  // namespace biodev::profile
