#include "docker/container_spec.h"

namespace biodev::docker {

using json = nlohmann::json;

namespace {

json mount_json(const MountSpec& m) {
  json j = {{"Target", m.target}, {"ReadOnly", m.read_only}};
  switch (m.type) {
    case MountSpec::Type::kBind:
      j["Type"] = "bind";
      j["Source"] = m.source;
      break;
    case MountSpec::Type::kVolume:
      j["Type"] = "volume";
      j["Source"] = m.source;
      break;
    case MountSpec::Type::kTmpfs:
      j["Type"] = "tmpfs";
      if (m.tmpfs_size) j["TmpfsOptions"] = {{"SizeBytes", m.tmpfs_size}};
      break;
  }
  return j;
}

json device_request_json(const DeviceRequestSpec& d) {
  json caps = json::array();
  if (!d.capabilities.empty()) caps.push_back(d.capabilities);
  json r = {{"Driver", d.driver}, {"Count", d.count}, {"Capabilities", caps}};
  if (!d.device_ids.empty()) r["DeviceIDs"] = d.device_ids;
  if (!d.options.empty()) r["Options"] = d.options;
  return r;
}

// The keys compose adds to HostConfig, each only when set.
void optional_host_keys(json& hc, const HostConfigSpec& h) {
  auto list = [&](const char* key, const std::vector<std::string>& v) {
    if (!v.empty()) hc[key] = v;
  };
  auto positive = [&](const char* key, long long v) {
    if (v > 0) hc[key] = v;
  };
  auto text = [&](const char* key, const std::string& v) {
    if (!v.empty()) hc[key] = v;
  };
  list("CapAdd", h.cap_add);
  list("CapDrop", h.cap_drop);
  list("SecurityOpt", h.security_opt);
  list("Dns", h.dns);
  list("GroupAdd", h.group_add);
  list("ExtraHosts", h.extra_hosts);
  if (h.privileged) hc["Privileged"] = true;
  if (h.readonly_rootfs) hc["ReadonlyRootfs"] = true;
  if (h.auto_remove) hc["AutoRemove"] = true;
  positive("NanoCpus", h.nano_cpus);
  positive("Memory", h.memory);
  positive("MemoryReservation", h.memory_reservation);
  positive("PidsLimit", h.pids_limit);
  positive("ShmSize", h.shm_size);
  if (!h.ulimits.empty()) {
    json u = json::array();
    for (const auto& l : h.ulimits)
      u.push_back({{"Name", l.name}, {"Soft", l.soft}, {"Hard", l.hard}});
    hc["Ulimits"] = u;
  }
  if (!h.sysctls.empty()) hc["Sysctls"] = h.sysctls;
  if (!h.device_requests.empty()) {
    json reqs = json::array();
    for (const auto& d : h.device_requests) reqs.push_back(device_request_json(d));
    hc["DeviceRequests"] = reqs;
  }
  if (!h.devices.empty()) {
    json devs = json::array();
    for (const auto& d : h.devices)
      devs.push_back({{"PathOnHost", d.path_on_host},
                      {"PathInContainer", d.path_in_container},
                      {"CgroupPermissions", d.cgroup_permissions}});
    hc["Devices"] = devs;
  }
  text("IpcMode", h.ipc_mode);
  text("PidMode", h.pid_mode);
}

json host_config_json(const HostConfigSpec& h) {
  json mounts = json::array();
  for (const auto& m : h.mounts) mounts.push_back(mount_json(m));
  json hc = {{"Init", h.init}, {"RestartPolicy", {{"Name", h.restart_policy}}}, {"Mounts", mounts}};
  if (h.restart_policy == "on-failure" && h.restart_max_retries > 0)
    hc["RestartPolicy"]["MaximumRetryCount"] = h.restart_max_retries;
  if (!h.network_mode.empty()) hc["NetworkMode"] = h.network_mode;
  if (h.port_bindings) {
    json bindings = json::object();
    for (const auto& [key, hosts] : *h.port_bindings)
      for (const auto& b : hosts)
        bindings[key].push_back({{"HostIp", b.host_ip}, {"HostPort", b.host_port}});
    hc["PortBindings"] = bindings;
  }
  optional_host_keys(hc, h);
  return hc;
}

json healthcheck_json(const HealthcheckSpec& h) {
  if (h.disabled()) return {{"Test", h.test}};
  json j = {{"Test", h.test},
            {"Interval", h.interval_ns},
            {"Timeout", h.timeout_ns},
            {"StartPeriod", h.start_period_ns},
            {"Retries", h.retries}};
  if (h.start_interval_ns > 0) j["StartInterval"] = h.start_interval_ns;
  return j;
}

}  // namespace

std::string ContainerSpec::label(const std::string& key) const {
  auto it = labels.find(key);
  return it == labels.end() ? std::string() : it->second;
}

json create_body(const ContainerSpec& s) {
  json body = {{"Image", s.image}, {"HostConfig", host_config_json(s.host)}, {"Labels", s.labels}};
  if (body["Labels"].is_null()) body["Labels"] = json::object();
  if (s.stop_timeout) body["StopTimeout"] = *s.stop_timeout;
  if (s.hostname) body["Hostname"] = *s.hostname;
  if (!s.stop_signal.empty()) body["StopSignal"] = s.stop_signal;
  if (s.tty) body["Tty"] = true;
  if (s.open_stdin) body["OpenStdin"] = true;
  if (!s.cmd.empty()) body["Cmd"] = s.cmd;
  if (!s.entrypoint.empty()) body["Entrypoint"] = s.entrypoint;
  if (s.env) body["Env"] = *s.env;
  if (!s.user.empty()) body["User"] = s.user;
  if (!s.working_dir.empty()) body["WorkingDir"] = s.working_dir;
  if (s.exposed_ports) {
    json exposed = json::object();
    for (const auto& key : *s.exposed_ports) exposed[key] = json::object();
    body["ExposedPorts"] = exposed;
  }
  if (s.healthcheck) body["Healthcheck"] = healthcheck_json(*s.healthcheck);
  if (s.endpoint)
    body["NetworkingConfig"] = {
        {"EndpointsConfig", {{s.endpoint->network, {{"Aliases", s.endpoint->aliases}}}}}};
  return body;
}

json create_body(const NetworkSpec& n) {
  json body = {{"Name", n.name},
               {"Driver", n.driver.empty() ? "bridge" : n.driver},
               {"Internal", n.internal},
               {"CheckDuplicate", true},
               {"Labels", n.labels}};
  if (body["Labels"].is_null()) body["Labels"] = json::object();
  if (!n.options.empty()) body["Options"] = n.options;
  if (n.attachable) body["Attachable"] = true;
  if (n.enable_ipv6) body["EnableIPv6"] = true;
  return body;
}

}  // namespace biodev::docker
