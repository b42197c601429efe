#include "plan/desired.h"

#include <cmath>

#include "plan/labels.h"
#include "util/crypto.h"
#include "util/version.h"

namespace biodev::plan {

using profile::MountSpec;
using profile::Service;

namespace {

long long ns(long long ms) { return ms * 1'000'000; }

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
        j["Source"] = volume_name(p.project, m.source);
        break;
      case MountSpec::Type::kTmpfs:
        j["Type"] = "tmpfs";
        if (m.tmpfs_size) j["TmpfsOptions"] = {{"SizeBytes", m.tmpfs_size}};
        break;
    }
    mounts.push_back(j);
  }
  return mounts;
}

json host_config(const profile::Profile& p, const Service& s) {
  json hc = {{"Init", s.init},
             {"RestartPolicy", {{"Name", s.restart}}},
             {"Mounts", mounts_json(p, s)},
             {"NetworkMode", network_name(p.project, s.networks.front().network)}};
  json bindings = json::object();
  for (const auto& port : s.ports) {
    std::string key = std::to_string(port.container_port) + "/" + port.protocol;
    // HostPort "" asks the engine to pick a free port.
    bindings[key].push_back(
        {{"HostIp", port.host_ip},
         {"HostPort", port.host_port ? std::to_string(port.host_port) : std::string()}});
  }
  hc["PortBindings"] = bindings;
  if (s.resources.cpus > 0) hc["NanoCpus"] = std::llround(s.resources.cpus * 1e9);
  if (s.resources.memory_bytes > 0) hc["Memory"] = s.resources.memory_bytes;
  return hc;
}

std::vector<std::string> aliases_for(const Service& s, const profile::NetworkAttachment& a) {
  std::vector<std::string> out{s.name};
  for (const auto& x : a.aliases) out.push_back(x);
  return out;
}

}  // namespace

const Service& effective_service(const Service& s, const DesiredOptions& o) {
  auto it = o.images.find(s.name);
  if (s.offline && it != o.images.end() && it->second.variant == "offline") return *s.offline;
  return s;
}

json container_body(const profile::Profile& p, const Service& s, const ImageChoice& image,
                    const DesiredOptions& o) {
  json body = {{"Image", image.ref}, {"Hostname", s.name}, {"StopTimeout", s.stop_grace_s}};
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
  body["ExposedPorts"] = exposed;
  if (s.healthcheck) {
    body["Healthcheck"] = {{"Test", s.healthcheck->test},
                           {"Interval", ns(s.healthcheck->interval_ms)},
                           {"Timeout", ns(s.healthcheck->timeout_ms)},
                           {"StartPeriod", ns(s.healthcheck->start_period_ms)},
                           {"Retries", s.healthcheck->retries}};
  }
  body["HostConfig"] = host_config(p, s);
  const auto& first = s.networks.front();
  body["NetworkingConfig"] = {
      {"EndpointsConfig",
       {{network_name(p.project, first.network), {{"Aliases", aliases_for(s, first)}}}}}};
  json user_labels = json::object();
  for (const auto& [k, v] : s.labels) user_labels[k] = v;
  body["Labels"] = user_labels;
  return body;
}

DesiredState desired_state(const profile::Profile& p, const DesiredOptions& o) {
  DesiredState d;
  d.project = p.project;
  for (const auto& n : p.networks) {
    std::string full = network_name(p.project, n.name);
    json body = {{"Name", full},
                 {"Driver", "bridge"},
                 {"Internal", n.internal},
                 {"CheckDuplicate", true},
                 {"Labels", {{labels::kProject, p.project}, {labels::kNetwork, n.name}}}};
    d.networks.push_back({n.name, full, body});
  }
  for (const auto& v : p.volumes) d.volumes.push_back({v.name, volume_name(p.project, v.name)});

  for (const auto& base : p.services) {
    if (!o.services.empty() && !o.services.count(base.name)) continue;
    const Service& s = effective_service(base, o);
    auto it = o.images.find(s.name);
    ImageChoice image = it != o.images.end() ? it->second : ImageChoice{s.image, "", "upstream"};
    DesiredContainer c;
    c.service = s.name;
    c.name = container_name(p.project, s.name);
    c.create_body = container_body(p, s, image, o);
    for (size_t i = 1; i < s.networks.size(); ++i)
      c.extra_networks.push_back(
          {network_name(p.project, s.networks[i].network), aliases_for(s, s.networks[i])});
    // The hash covers what the engine receives plus the image id (a rebuilt image means a
    // new container) and the extra networks; not biodev's own bookkeeping labels.
    json hashed = {{"body", c.create_body}, {"image_id", image.id}, {"networks", json::array()}};
    for (const auto& [net, aliases] : c.extra_networks) hashed["networks"].push_back({net, aliases});
    c.config_hash = sha256_hex(hashed.dump()).substr(0, 16);

    json& lbl = c.create_body["Labels"];
    lbl[labels::kProject] = p.project;
    lbl[labels::kService] = s.name;
    lbl[labels::kConfigHash] = c.config_hash;
    lbl[labels::kVariant] = image.variant;
    lbl[labels::kProfile] = p.name;
    lbl[labels::kVersion] = kVersion;
    lbl[labels::kRequired] = s.required ? "true" : "false";
    lbl[labels::kReady] = probe_label(s.ready).dump();
    if (!s.stand_in.empty()) lbl[labels::kStandIn] = s.stand_in;
    if (!s.substitute_for.empty()) lbl[labels::kSubstituteFor] = s.substitute_for;

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
