#include "plan/desired.h"

#include <cmath>
#include <cstdlib>

#include "plan/engine_names.h"
#include "plan/file_grants.h"
#include "plan/labels.h"
#include "plan/sandbox.h"
#include "util/error.h"
#include "util/strings.h"
#include "util/crypto.h"
#include "util/version.h"

namespace biodev::plan {

using profile::MountSpec;
using profile::Service;

namespace {

long long ns(long long ms) { return ms * 1'000'000; }

// network_mode as the engine takes it: "service:x" names x's container.
std::string network_mode(const profile::Profile& p, const Service& s) {
  if (s.network_mode.starts_with("service:")) return "container:" + service_container(p, s.network_mode.substr(8));
  return s.network_mode;
}

json probe_label(const profile::ProbeSpec& p) {
  json j = {{"type", profile::to_string(p.kind)}, {"port", p.port}};
  if (p.kind == profile::ProbeSpec::Kind::kHttp) {
    j["path"] = p.path;
    j["status"] = p.expect_status;
  }
  if (!p.command.empty()) j["command"] = p.command;
  if (!p.user.empty()) j["user"] = p.user;
  if (!p.database.empty()) j["database"] = p.database;
  return j;
}

json mounts_json(const profile::Profile& p, const Service& s) {
  json mounts = json::array();
  for (const auto& m : s.mounts) {
    json j = {{"Target", m.target}, {"ReadOnly", m.read_only}};
    switch (m.type) {
      case MountSpec::Type::kBind:
        j["Type"] = "bind";
        j["Source"] = m.source;
        break;
      case MountSpec::Type::kVolume:
        j["Type"] = "volume";
        j["Source"] = engine_volume(p, m.source);
        break;
      case MountSpec::Type::kTmpfs:
        j["Type"] = "tmpfs";
        if (m.tmpfs_size) j["TmpfsOptions"] = {{"SizeBytes", m.tmpfs_size}};
        break;
    }
    mounts.push_back(j);
  }
  for (const auto& g : grant_files(p, s))
    mounts.push_back({{"Type", "bind"}, {"Source", g.host_path}, {"Target", g.target}, {"ReadOnly", true}});
  return mounts;
}

// The compose-level HostConfig keys, each only when set (an unchanged profile keeps its
// config hash).
void compose_host_config(json& hc, const Service& s) {
  auto list = [&](const char* key, const std::vector<std::string>& v) {
    if (!v.empty()) hc[key] = v;
  };
  list("CapAdd", s.cap_add);
  list("CapDrop", s.cap_drop);
  list("SecurityOpt", s.security_opt);
  list("Dns", s.dns);
  list("GroupAdd", s.group_add);
  if (!s.extra_hosts.empty()) {
    json hosts = json::array();
    // Compose writes "host=ip" too; the engine takes "host:ip".
    for (std::string h : s.extra_hosts) {
      if (auto eq = h.find('='); eq != std::string::npos) h[eq] = ':';
      hosts.push_back(h);
    }
    hc["ExtraHosts"] = hosts;
  }
  if (s.privileged) hc["Privileged"] = true;
  if (s.read_only_rootfs) hc["ReadonlyRootfs"] = true;
  if (s.shm_size > 0) hc["ShmSize"] = s.shm_size;
  if (!s.ulimits.empty()) {
    json u = json::array();
    for (const auto& l : s.ulimits) u.push_back({{"Name", l.name}, {"Soft", l.soft}, {"Hard", l.hard}});
    hc["Ulimits"] = u;
  }
  if (!s.sysctls.empty()) hc["Sysctls"] = s.sysctls;
  if (!s.device_requests.empty()) {
    json reqs = json::array();
    for (const auto& d : s.device_requests) {
      json caps = json::array();
      if (!d.capabilities.empty()) caps.push_back(d.capabilities);
      json r = {{"Driver", d.driver}, {"Count", d.count}, {"Capabilities", caps}};
      if (!d.device_ids.empty()) r["DeviceIDs"] = d.device_ids;
      if (!d.options.empty()) r["Options"] = d.options;
      reqs.push_back(r);
    }
    hc["DeviceRequests"] = reqs;
  }
  if (!s.devices.empty()) {
    json devs = json::array();
    for (const auto& d : s.devices) {
      std::vector<std::string> parts;
      for (size_t at = 0;;) {
        size_t colon = d.find(':', at);
        parts.push_back(d.substr(at, colon - at));
        if (colon == std::string::npos) break;
        at = colon + 1;
      }
      std::string in = parts.size() > 1 ? parts[1] : parts[0];
      devs.push_back({{"PathOnHost", parts[0]},
                      {"PathInContainer", in},
                      {"CgroupPermissions", parts.size() > 2 ? parts[2] : "rwm"}});
    }
    hc["Devices"] = devs;
  }
  if (!s.ipc.empty()) hc["IpcMode"] = s.ipc;
  if (!s.pid.empty()) hc["PidMode"] = s.pid;
  if (s.resources.memory_reservation_bytes > 0) hc["MemoryReservation"] = s.resources.memory_reservation_bytes;
  if (s.resources.pids_limit > 0) hc["PidsLimit"] = s.resources.pids_limit;
  if (s.restart == "on-failure" && s.restart_max_retries > 0)
    hc["RestartPolicy"]["MaximumRetryCount"] = s.restart_max_retries;
}

bool is_loopback_ip(const std::string& ip) { return ip == "127.0.0.1" || ip == "::1" || ip == "localhost"; }

void add_port_bindings(json& bindings, const Service& s, const DesiredOptions& o) {
  for (const auto& port : s.ports) {
    std::string key = std::to_string(port.container_port) + "/" + port.protocol;
    // HostPort "" asks the engine to pick a free port.
    bindings[key].push_back(
        {{"HostIp", !o.loopback_publish_ip.empty() && is_loopback_ip(port.host_ip) ? o.loopback_publish_ip
                                                                                    : port.host_ip},
         {"HostPort", port.host_port ? std::to_string(port.host_port) : std::string()}});
  }
}

json host_config(const profile::Profile& p, const Service& s, const DesiredOptions& o) {
  json hc = {{"Init", s.init},
             {"RestartPolicy", {{"Name", s.restart}}},
             {"Mounts", mounts_json(p, s)},
             {"NetworkMode", s.network_mode.empty() ? engine_network(p, s.networks.front().network)
                                                    : network_mode(p, s)}};
  json bindings = json::object();
  add_port_bindings(bindings, s, o);
  hc["PortBindings"] = bindings;
  if (s.resources.cpus > 0) hc["NanoCpus"] = std::llround(s.resources.cpus * 1e9);
  if (s.resources.memory_bytes > 0) hc["Memory"] = s.resources.memory_bytes;
  compose_host_config(hc, s);
  return hc;
}

std::vector<std::string> aliases_for(const Service& s, const profile::NetworkAttachment& a) {
  std::vector<std::string> out{s.name};
  for (const auto& x : a.aliases) out.push_back(x);
  return out;
}

std::string hash_of(const json& hashed) { return sha256_hex(hashed.dump()).substr(0, 16); }

// What a container's config hash covers: its create body, the image it runs and the
// networks it joins after create. Callers add whatever else must give a new container.
json hash_input(const DesiredContainer& c, const std::string& image_id) {
  json hashed = {{"body", c.create_body}, {"image_id", image_id}, {"networks", json::array()}};
  for (const auto& [net, aliases] : c.extra_networks) hashed["networks"].push_back({net, aliases});
  return hashed;
}

// The labels on every container biodev makes, service or sandbox.
void stamp_labels(json& lbl, const profile::Profile& p, const std::string& service, const std::string& config_hash) {
  lbl[labels::kProject] = p.project;
  lbl[labels::kService] = service;
  lbl[labels::kConfigHash] = config_hash;
  lbl[labels::kProfile] = p.name;
  lbl[labels::kVersion] = kVersion;
}

std::string sandbox_container(const profile::Profile& p, const SandboxGroup& g) {
  return container_name(p.project, "sandbox-" + g.members.front());
}

// The sandbox of a group: the group's published ports, and every member's DNS names on
// each of its networks; it runs `biodev serve sandbox`, which only holds the namespace.
DesiredContainer sandbox_desired(const profile::Profile& p, const SandboxGroup& g,
                                 const std::vector<const Service*>& members, const DesiredOptions& o) {
  DesiredContainer c;
  c.service = g.key;
  c.name = sandbox_container(p, g);
  c.is_sandbox = true;
  c.stop_grace_s = 1;
  json exposed = json::object(), bindings = json::object();
  std::vector<std::vector<std::string>> aliases(g.networks.size());
  for (const Service* s : members) {
    add_port_bindings(bindings, *s, o);
    for (const auto& port : container_ports(*s)) exposed[port] = json::object();
    for (size_t i = 0; i < g.networks.size(); ++i)
      for (const auto& a : s->networks)
        if (a.network == g.networks[i]) {
          auto names = aliases_for(*s, a);
          aliases[i].insert(aliases[i].end(), names.begin(), names.end());
        }
  }
  std::string first = engine_network(p, g.networks.front());
  c.create_body = {{"Image", o.sandbox_image.ref},
                   {"Cmd", {"serve", "sandbox"}},
                   {"Hostname", "sandbox-" + g.members.front()},
                   {"StopTimeout", c.stop_grace_s},
                   {"ExposedPorts", exposed},
                   {"HostConfig",
                    {{"Init", false},
                     {"RestartPolicy", {{"Name", "no"}}},
                     {"Mounts", json::array()},
                     {"NetworkMode", first},
                     {"PortBindings", bindings}}},
                   {"NetworkingConfig", {{"EndpointsConfig", {{first, {{"Aliases", aliases[0]}}}}}}},
                   {"Labels", json::object()}};
  for (size_t i = 1; i < g.networks.size(); ++i)
    c.extra_networks.push_back({engine_network(p, g.networks[i]), aliases[i]});
  c.config_hash = hash_of(hash_input(c, o.sandbox_image.id));
  json& lbl = c.create_body["Labels"];
  stamp_labels(lbl, p, g.key, c.config_hash);
  lbl[labels::kRequired] = "false";
  lbl[labels::kSandboxMembers] = join(g.members, ",");
  return c;
}

// A member joins its sandbox's namespace: the engine refuses a hostname, exposed or
// published ports and endpoints of its own there (they are the sandbox's).
void join_sandbox(json& body, const std::string& sandbox_name) {
  body.erase("Hostname");
  body.erase("ExposedPorts");
  body.erase("NetworkingConfig");
  body["HostConfig"].erase("PortBindings");
  body["HostConfig"]["NetworkMode"] = "container:" + sandbox_name;
}

}  // namespace

const Service& effective_service(const Service& s, const DesiredOptions& o) {
  auto it = o.images.find(s.name);
  if (s.offline && it != o.images.end() && it->second.variant == "offline") return *s.offline;
  return s;
}

json container_body(const profile::Profile& p, const Service& s, const ImageChoice& image,
                    const DesiredOptions& o) {
  json body = {{"Image", image.ref}, {"StopTimeout", s.stop_grace_s}};
  // A container sharing another's network namespace cannot have a hostname of its own.
  if (s.network_mode.empty()) body["Hostname"] = s.hostname.empty() ? s.name : s.hostname;
  else if (!s.hostname.empty() && !network_mode(p, s).starts_with("container:")) body["Hostname"] = s.hostname;
  if (!s.stop_signal.empty()) body["StopSignal"] = s.stop_signal;
  if (s.tty) body["Tty"] = true;
  if (s.stdin_open) body["OpenStdin"] = true;
  if (!s.command.empty()) body["Cmd"] = s.command;
  if (!s.entrypoint.empty()) body["Entrypoint"] = s.entrypoint;
  json env = json::array();
  for (const auto& [k, v] : s.env) env.push_back(k + "=" + v);
  if (s.gateway && o.gateway_spec) {
    // The gateway checks the services as they will run: offline variants applied.
    profile::Profile effective = p;
    for (auto& svc : effective.services) svc = effective_service(svc, o);
    env.push_back("BIODEV_GATEWAY_SPEC=" + o.gateway_spec(effective));
  }
  body["Env"] = env;
  if (!s.user.empty()) body["User"] = s.user;
  if (!s.working_dir.empty()) body["WorkingDir"] = s.working_dir;
  json exposed = json::object();
  for (const auto& port : s.ports) exposed[std::to_string(port.container_port) + "/" + port.protocol] = json::object();
  for (const auto& e : s.expose)
    for (const auto& key : port_keys(e)) exposed[key] = json::object();
  body["ExposedPorts"] = exposed;
  if (s.healthcheck && s.healthcheck->test == std::vector<std::string>{"NONE"}) {
    body["Healthcheck"] = {{"Test", s.healthcheck->test}};  // the image's healthcheck, disabled
  } else if (s.healthcheck) {
    body["Healthcheck"] = {{"Test", s.healthcheck->test},
                           {"Interval", ns(s.healthcheck->interval_ms)},
                           {"Timeout", ns(s.healthcheck->timeout_ms)},
                           {"StartPeriod", ns(s.healthcheck->start_period_ms)},
                           {"Retries", s.healthcheck->retries}};
    // Dropped by the client for engines before API 1.44 (docker/client.h).
    if (s.healthcheck->start_interval_ms > 0) body["Healthcheck"]["StartInterval"] = ns(s.healthcheck->start_interval_ms);
  }
  body["HostConfig"] = host_config(p, s, o);
  if (s.network_mode.empty()) {
    const auto& first = s.networks.front();
    body["NetworkingConfig"] = {
        {"EndpointsConfig", {{engine_network(p, first.network), {{"Aliases", aliases_for(s, first)}}}}}};
  }
  json user_labels = json::object();
  for (const auto& [k, v] : s.labels) user_labels[k] = v;
  body["Labels"] = user_labels;
  return body;
}

DesiredState desired_state(const profile::Profile& p, const DesiredOptions& o) {
  DesiredState d;
  d.project = p.project;
  for (const auto& n : p.networks) {
    if (n.external) continue;  // made elsewhere (check_external)
    std::string full = engine_network(p, n.name);
    json lbl = n.labels;
    lbl[labels::kProject] = p.project;
    lbl[labels::kNetwork] = n.name;
    json body = {{"Name", full},
                 {"Driver", n.driver.empty() ? "bridge" : n.driver},
                 {"Internal", n.internal},
                 {"CheckDuplicate", true},
                 {"Labels", lbl}};
    if (!n.driver_opts.empty()) body["Options"] = n.driver_opts;
    if (n.attachable) body["Attachable"] = true;
    if (n.enable_ipv6) body["EnableIPv6"] = true;
    d.networks.push_back({n.name, full, body});
  }
  for (const auto& v : p.volumes)
    if (!v.external) d.volumes.push_back({v.name, engine_volume(p, v.name)});

  // Grouped over every service of the profile, so that `up SERVICE` makes the same
  // sandboxes (and config hashes) as a whole `up`.
  SandboxGrouping grouping;
  std::map<std::string, std::string> sandbox_hash;  // group key -> its config hash
  if (o.shared_sandbox) {
    std::vector<const Service*> effective;
    for (const auto& base : p.services) effective.push_back(&effective_service(base, o));
    grouping = group_sandboxes(effective);
    for (const auto& g : grouping.groups) {
      std::vector<const Service*> members;
      bool wanted = o.services.empty();
      for (const auto& m : g.members) {
        members.push_back(&effective_service(*p.find(m), o));
        wanted |= o.services.count(m) > 0;
      }
      DesiredContainer sb = sandbox_desired(p, g, members, o);
      for (const auto& other : p.services)
        if (service_container(p, other.name) == sb.name)
          throw UsageError("service " + other.name + ": its container name " + sb.name +
                           " is the name of the shared sandbox of " + join(g.members, ", ") +
                           "; rename the service or set its container_name");
      sandbox_hash[g.key] = sb.config_hash;
      if (wanted) d.containers.push_back(std::move(sb));
    }
  }

  for (const auto& base : p.services) {
    if (!o.services.empty() && !o.services.count(base.name)) continue;
    const Service& s = effective_service(base, o);
    const SandboxGroup* group = grouping.group_of(s.name);
    auto it = o.images.find(s.name);
    ImageChoice image = it != o.images.end() ? it->second : ImageChoice{s.image, "", "upstream"};
    DesiredContainer c;
    c.service = s.name;
    c.name = service_container(p, s.name);
    c.create_body = container_body(p, s, image, o);
    if (group) {
      c.sandbox = group->key;
      join_sandbox(c.create_body, sandbox_container(p, *group));
    }
    for (size_t i = 1; i < s.networks.size() && s.network_mode.empty() && !group; ++i)
      c.extra_networks.push_back({engine_network(p, s.networks[i].network), aliases_for(s, s.networks[i])});
    // The hash covers what the engine receives plus the image id (a rebuilt image means a
    // new container) and the extra networks; not biodev's own bookkeeping labels.
    json hashed = hash_input(c, image.id);
    // Inline secret and config bytes: a changed value gives the service a new container.
    for (const auto& g : grant_files(p, s))
      if (g.source->kind != profile::FileSource::Kind::kFile) hashed["grants"][g.target] = sha256_hex(g.source->content);
    // A member's namespace is its sandbox's: a changed sandbox means new members.
    if (group) hashed["sandbox"] = sandbox_hash[group->key];
    c.config_hash = hash_of(hashed);

    json& lbl = c.create_body["Labels"];
    stamp_labels(lbl, p, s.name, c.config_hash);
    lbl[labels::kVariant] = image.variant;
    lbl[labels::kRequired] = s.required ? "true" : "false";
    lbl[labels::kReady] = probe_label(s.ready).dump();
    if (!s.stand_in.empty()) lbl[labels::kStandIn] = s.stand_in;
    if (!s.substitute_for.empty()) lbl[labels::kSubstituteFor] = s.substitute_for;
    if (group) {
      std::vector<std::string> published;
      for (const auto& port : s.ports) published.push_back(std::to_string(port.container_port) + "/" + port.protocol);
      lbl[labels::kSandbox] = group->key;
      lbl[labels::kSandboxPorts] = join(published, ",");
      c.depends_started.push_back(group->key);
    }

    // network_mode: service:x needs x's container to exist and run first.
    if (s.network_mode.starts_with("service:")) {
      std::string peer = s.network_mode.substr(8);
      if (o.services.empty() || o.services.count(peer)) c.depends_started.push_back(peer);
    }
    for (const auto& dep : s.depends_on) {
      if (!o.services.empty() && !o.services.count(dep.service)) continue;
      switch (dep.condition) {
        case profile::DependsOn::Condition::kStarted: c.depends_started.push_back(dep.service); break;
        case profile::DependsOn::Condition::kHealthy: c.depends_healthy.push_back(dep.service); break;
        case profile::DependsOn::Condition::kCompleted: c.depends_completed.push_back(dep.service); break;
      }
    }
    c.has_seed = s.seed.kind != profile::SeedSpec::Kind::kNone;
    c.has_probe = s.ready.kind != profile::ProbeSpec::Kind::kNone;
    c.slow_ready = s.ready.kind == profile::ProbeSpec::Kind::kPostgres ||
                   s.seed.kind == profile::SeedSpec::Kind::kPostgres;
    c.stop_grace_s = s.stop_grace_s;
    d.containers.push_back(std::move(c));
  }
  return d;
}

}  // namespace biodev::plan
