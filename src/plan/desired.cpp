#include "plan/desired.h"

#include <cmath>
#include <cstdlib>

#include "plan/engine_names.h"
#include "plan/file_grants.h"
#include "plan/in_place_restart.h"
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

std::vector<docker::MountSpec> mounts_of(const profile::Profile& p, const Service& s) {
  std::vector<docker::MountSpec> mounts;
  for (const auto& m : s.mounts) {
    docker::MountSpec out;
    out.target = m.target;
    out.read_only = m.read_only;
    switch (m.type) {
      case MountSpec::Type::kBind:
        out.type = docker::MountSpec::Type::kBind;
        out.source = m.source;
        break;
      case MountSpec::Type::kVolume:
        out.type = docker::MountSpec::Type::kVolume;
        out.source = engine_volume(p, m.source);
        break;
      case MountSpec::Type::kTmpfs:
        out.type = docker::MountSpec::Type::kTmpfs;
        out.tmpfs_size = m.tmpfs_size;
        break;
    }
    mounts.push_back(out);
  }
  for (const auto& g : grant_files(p, s))
    mounts.push_back({docker::MountSpec::Type::kBind, g.host_path, g.target, true, 0});
  return mounts;
}

// "/dev/x[:/dev/y[:rwm]]", as compose writes a device.
docker::DeviceMapping device_mapping(const std::string& d) {
  std::vector<std::string> parts;
  for (size_t at = 0;;) {
    size_t colon = d.find(':', at);
    parts.push_back(d.substr(at, colon - at));
    if (colon == std::string::npos) break;
    at = colon + 1;
  }
  return {parts[0], parts.size() > 1 ? parts[1] : parts[0], parts.size() > 2 ? parts[2] : "rwm"};
}

// The compose-level HostConfig fields (each sent only when set, so an unchanged profile
// keeps its config hash).
void compose_host_config(docker::HostConfigSpec& hc, const Service& s) {
  hc.cap_add = s.cap_add;
  hc.cap_drop = s.cap_drop;
  hc.security_opt = s.security_opt;
  hc.dns = s.dns;
  hc.group_add = s.group_add;
  // Compose writes "host=ip" too; the engine takes "host:ip".
  for (std::string h : s.extra_hosts) {
    if (auto eq = h.find('='); eq != std::string::npos) h[eq] = ':';
    hc.extra_hosts.push_back(h);
  }
  hc.privileged = s.privileged;
  hc.readonly_rootfs = s.read_only_rootfs;
  hc.shm_size = s.shm_size;
  for (const auto& l : s.ulimits) hc.ulimits.push_back({l.name, l.soft, l.hard});
  hc.sysctls = s.sysctls;
  for (const auto& d : s.device_requests)
    hc.device_requests.push_back({d.driver, d.count, d.device_ids, d.capabilities, d.options});
  for (const auto& d : s.devices) hc.devices.push_back(device_mapping(d));
  hc.ipc_mode = s.ipc;
  hc.pid_mode = s.pid;
  hc.memory_reservation = s.resources.memory_reservation_bytes;
  hc.pids_limit = s.resources.pids_limit;
  hc.restart_max_retries = s.restart_max_retries;
}

bool is_loopback_ip(const std::string& ip) { return ip == "127.0.0.1" || ip == "::1" || ip == "localhost"; }

using PortBindings = std::map<std::string, std::vector<docker::HostPortSpec>>;

void add_port_bindings(PortBindings& bindings, const Service& s, const DesiredOptions& o) {
  for (const auto& port : s.ports) {
    std::string key = std::to_string(port.container_port) + "/" + port.protocol;
    // HostPort "" asks the engine to pick a free port.
    bindings[key].push_back(
        {!o.loopback_publish_ip.empty() && is_loopback_ip(port.host_ip) ? o.loopback_publish_ip : port.host_ip,
         port.host_port ? std::to_string(port.host_port) : std::string()});
  }
}

docker::HostConfigSpec host_config(const profile::Profile& p, const Service& s, const DesiredOptions& o) {
  docker::HostConfigSpec hc;
  hc.init = s.init;
  hc.restart_policy = s.restart;
  hc.mounts = mounts_of(p, s);
  hc.network_mode = s.network_mode.empty() ? engine_network(p, s.networks.front().network) : network_mode(p, s);
  PortBindings bindings;
  add_port_bindings(bindings, s, o);
  hc.port_bindings = bindings;
  if (s.resources.cpus > 0) hc.nano_cpus = std::llround(s.resources.cpus * 1e9);
  hc.memory = s.resources.memory_bytes;
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
  json hashed = {{"body", docker::create_body(c.spec)}, {"image_id", image_id}, {"networks", json::array()}};
  for (const auto& [net, aliases] : c.extra_networks) hashed["networks"].push_back({net, aliases});
  return hashed;
}

// The labels on every container biodev makes, service or sandbox.
void stamp_labels(std::map<std::string, std::string>& lbl, const profile::Profile& p, const std::string& service, const std::string& config_hash) {
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
  std::vector<std::string> exposed;
  PortBindings bindings;
  std::vector<std::vector<std::string>> aliases(g.networks.size());
  for (const Service* s : members) {
    add_port_bindings(bindings, *s, o);
    for (const auto& port : container_ports(*s)) exposed.push_back(port);
    for (size_t i = 0; i < g.networks.size(); ++i)
      for (const auto& a : s->networks)
        if (a.network == g.networks[i]) {
          auto names = aliases_for(*s, a);
          aliases[i].insert(aliases[i].end(), names.begin(), names.end());
        }
  }
  std::string first = engine_network(p, g.networks.front());
  docker::ContainerSpec& spec = c.spec;
  spec.image = o.sandbox_image.ref;
  spec.cmd = {"serve", "sandbox"};
  spec.hostname = "sandbox-" + g.members.front();
  spec.stop_timeout = c.stop_grace_s;
  spec.exposed_ports = exposed;
  spec.host.network_mode = first;
  spec.host.port_bindings = bindings;
  spec.endpoint = docker::EndpointSpec{first, aliases[0]};
  for (size_t i = 1; i < g.networks.size(); ++i)
    c.extra_networks.push_back({engine_network(p, g.networks[i]), aliases[i]});
  c.config_hash = hash_of(hash_input(c, o.sandbox_image.id));
  auto& lbl = c.spec.labels;
  stamp_labels(lbl, p, g.key, c.config_hash);
  lbl[labels::kRequired] = "false";
  lbl[labels::kSandboxMembers] = join(g.members, ",");
  return c;
}

// A member joins its sandbox's namespace: the engine refuses a hostname, exposed or
// published ports and endpoints of its own there (they are the sandbox's).
void join_sandbox(docker::ContainerSpec& spec, const std::string& sandbox_name) {
  spec.hostname.reset();
  spec.exposed_ports.reset();
  spec.endpoint.reset();
  spec.host.port_bindings.reset();
  spec.host.network_mode = "container:" + sandbox_name;
}

}  // namespace

const Service& effective_service(const Service& s, const DesiredOptions& o) {
  auto it = o.images.find(s.name);
  if (s.offline && it != o.images.end() && it->second.variant == "offline") return *s.offline;
  return s;
}

docker::ContainerSpec container_spec(const profile::Profile& p, const Service& s, const ImageChoice& image,
                                     const DesiredOptions& o) {
  docker::ContainerSpec spec;
  spec.image = image.ref;
  spec.stop_timeout = s.stop_grace_s;
  // A container sharing another's network namespace cannot have a hostname of its own.
  if (s.network_mode.empty()) spec.hostname = s.hostname.empty() ? s.name : s.hostname;
  else if (!s.hostname.empty() && !network_mode(p, s).starts_with("container:")) spec.hostname = s.hostname;
  spec.stop_signal = s.stop_signal;
  spec.tty = s.tty;
  spec.open_stdin = s.stdin_open;
  spec.cmd = s.command;
  spec.entrypoint = s.entrypoint;
  std::vector<std::string> env;
  for (const auto& [k, v] : s.env) env.push_back(k + "=" + v);
  if (s.gateway && o.gateway_spec) {
    // The gateway checks the services as they will run: offline variants applied.
    profile::Profile effective = p;
    for (auto& svc : effective.services) svc = effective_service(svc, o);
    env.push_back("BIODEV_GATEWAY_SPEC=" + o.gateway_spec(effective));
  }
  spec.env = env;
  spec.user = s.user;
  spec.working_dir = s.working_dir;
  std::vector<std::string> exposed;
  for (const auto& port : s.ports) exposed.push_back(std::to_string(port.container_port) + "/" + port.protocol);
  for (const auto& e : s.expose)
    for (const auto& key : port_keys(e)) exposed.push_back(key);
  spec.exposed_ports = exposed;
  if (s.healthcheck) {
    const auto& h = *s.healthcheck;
    // ["NONE"]: the image's healthcheck, disabled (only the test is sent).
    // StartInterval is dropped by the client for engines before API 1.44 (docker/client.h).
    spec.healthcheck = docker::HealthcheckSpec{h.test,          ns(h.interval_ms), ns(h.timeout_ms),
                                               ns(h.start_period_ms), ns(h.start_interval_ms), h.retries};
  }
  spec.host = host_config(p, s, o);
  if (s.network_mode.empty()) {
    const auto& first = s.networks.front();
    spec.endpoint = docker::EndpointSpec{engine_network(p, first.network), aliases_for(s, first)};
  }
  spec.labels = s.labels;
  // Without the image's entrypoint and command (unread), only a service that sets its
  // own entrypoint can be wrapped.
  if (o.in_place_restart && s.restarts_in_place() && (image.commands_known || !s.entrypoint.empty())) {
    std::vector<std::string> entry = in_place_entrypoint(s, image);
    // Nothing to run (no command here or in the image): left for the engine to refuse.
    if (entry.back() != "--") {
      spec.entrypoint = std::move(entry);
      spec.cmd.clear();
      spec.host.mounts.push_back({docker::MountSpec::Type::kBind, init_host_path(), kInitTarget, true, 0});
    }
  }
  return spec;
}

namespace {

docker::NetworkSpec network_spec(const profile::Profile& p, const profile::Network& n) {
  docker::NetworkSpec spec;
  spec.name = engine_network(p, n.name);
  spec.driver = n.driver.empty() ? "bridge" : n.driver;
  spec.internal = n.internal;
  spec.attachable = n.attachable;
  spec.enable_ipv6 = n.enable_ipv6;
  spec.labels = n.labels;
  spec.labels[labels::kProject] = p.project;
  spec.labels[labels::kNetwork] = n.name;
  spec.options = n.driver_opts;
  return spec;
}

// The shared sandboxes, grouped over every service of the profile so that `up SERVICE`
// makes the same sandboxes (and config hashes) as a whole `up`; the wanted ones are
// added to d. Returns each group's config hash by key.
std::map<std::string, std::string> add_sandboxes(DesiredState& d, const SandboxGrouping& grouping,
                                                 const profile::Profile& p, const DesiredOptions& o) {
  std::map<std::string, std::string> sandbox_hash;
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
  return sandbox_hash;
}

// biodev's own labels on a service's container: the bookkeeping status, health and the
// planner read back (not covered by the config hash).
void stamp_service_labels(DesiredContainer& c, const profile::Profile& p, const Service& s, const ImageChoice& image,
                          const SandboxGroup* group) {
  auto& lbl = c.spec.labels;
  stamp_labels(lbl, p, s.name, c.config_hash);
  lbl[labels::kVariant] = image.variant;
  lbl[labels::kRequired] = s.required ? "true" : "false";
  lbl[labels::kReady] = probe_label(s.ready).dump();
  if (!s.stand_in.empty()) lbl[labels::kStandIn] = s.stand_in;
  if (!s.substitute_for.empty()) lbl[labels::kSubstituteFor] = s.substitute_for;
  if (!c.spec.entrypoint.empty() && c.spec.entrypoint.front() == kInitTarget) lbl[labels::kInPlaceRestart] = "true";
  if (group) {
    std::vector<std::string> published;
    for (const auto& port : s.ports) published.push_back(std::to_string(port.container_port) + "/" + port.protocol);
    lbl[labels::kSandbox] = group->key;
    lbl[labels::kSandboxPorts] = join(published, ",");
  }
}

// What a service's container waits on, among the services being brought up.
void add_dependencies(DesiredContainer& c, const Service& s, const DesiredOptions& o, const SandboxGroup* group) {
  auto wanted = [&](const std::string& service) { return o.services.empty() || o.services.count(service) > 0; };
  if (group) c.depends_started.push_back(group->key);
  // network_mode: service:x needs x's container to exist and run first.
  if (s.network_mode.starts_with("service:") && wanted(s.network_mode.substr(8)))
    c.depends_started.push_back(s.network_mode.substr(8));
  for (const auto& dep : s.depends_on) {
    if (!wanted(dep.service)) continue;
    switch (dep.condition) {
      case profile::DependsOn::Condition::kStarted: c.depends_started.push_back(dep.service); break;
      case profile::DependsOn::Condition::kHealthy: c.depends_healthy.push_back(dep.service); break;
      case profile::DependsOn::Condition::kCompleted: c.depends_completed.push_back(dep.service); break;
    }
  }
}

DesiredContainer service_desired(const profile::Profile& p, const Service& s, const DesiredOptions& o,
                                 const SandboxGroup* group, const std::string& sandbox_hash) {
  auto it = o.images.find(s.name);
  ImageChoice image = it != o.images.end() ? it->second : ImageChoice{s.image, "", "upstream"};
  DesiredContainer c;
  c.service = s.name;
  c.name = service_container(p, s.name);
  c.spec = container_spec(p, s, image, o);
  if (group) {
    c.sandbox = group->key;
    join_sandbox(c.spec, sandbox_container(p, *group));
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
  if (group) hashed["sandbox"] = sandbox_hash;
  c.config_hash = hash_of(hashed);
  stamp_service_labels(c, p, s, image, group);
  add_dependencies(c, s, o, group);
  c.has_seed = s.seed.kind != profile::SeedSpec::Kind::kNone;
  c.has_probe = s.ready.kind != profile::ProbeSpec::Kind::kNone;
  c.slow_ready =
      s.ready.kind == profile::ProbeSpec::Kind::kPostgres || s.seed.kind == profile::SeedSpec::Kind::kPostgres;
  c.stop_grace_s = s.stop_grace_s;
  return c;
}

}  // namespace

DesiredState desired_state(const profile::Profile& p, const DesiredOptions& o) {
  DesiredState d;
  d.project = p.project;
  for (const auto& n : p.networks)
    if (!n.external) d.networks.push_back({n.name, engine_network(p, n.name), network_spec(p, n)});  // else check_external
  for (const auto& v : p.volumes)
    if (!v.external) d.volumes.push_back({v.name, engine_volume(p, v.name)});
  SandboxGrouping grouping;
  std::map<std::string, std::string> sandbox_hash;  // group key -> its config hash
  if (o.shared_sandbox) {
    std::vector<const Service*> effective;
    for (const auto& base : p.services) effective.push_back(&effective_service(base, o));
    grouping = group_sandboxes(effective);
    sandbox_hash = add_sandboxes(d, grouping, p, o);
  }
  for (const auto& base : p.services) {
    if (!o.services.empty() && !o.services.count(base.name)) continue;
    const Service& s = effective_service(base, o);
    const SandboxGroup* group = grouping.group_of(s.name);
    d.containers.push_back(service_desired(p, s, o, group, group ? sandbox_hash[group->key] : ""));
  }
  return d;
}

}  // namespace biodev::plan
