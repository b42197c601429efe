// A container as the engine reports it on inspect (GET /containers/{id}/json), typed:
// what biodev reads of its state, exit, memory limit, labels, ports and networks.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace biodev::docker {

struct PortBinding {
  int container_port = 0;
  std::string protocol = "tcp";
  std::string host_ip;  // "" when not published
  int host_port = 0;    // 0 when not published
};

struct ContainerInfo {
  std::string id;
  std::string name;  // without the leading '/'
  bool running = false;
  std::string status;  // created, running, paused, restarting, removing, exited, dead
  int exit_code = -1;  // -1 when the engine does not say
  bool oom_killed = false;
  std::string health;          // "", starting, healthy, unhealthy
  long long memory_limit = 0;  // HostConfig.Memory; 0 = none
  std::map<std::string, std::string> labels;
  // What the container asked for (HostConfig.PortBindings): host_port 0 = any.
  std::vector<PortBinding> requested_ports;
  // What it holds now (NetworkSettings.Ports), IPv4 and IPv6 bindings both.
  std::vector<PortBinding> published_ports;
  std::vector<std::pair<std::string, std::string>>
      networks;  // name -> address ("" if none), by name

  // The first address, networks by name; "" when it has none (not running).
  std::string first_ip() const;
  std::string label(const std::string& key) const;
};

// Pure: tolerant of absent, null and mistyped fields (old engines, Podman).
ContainerInfo decode_container_info(const nlohmann::json& inspect);

}  // namespace biodev::docker
