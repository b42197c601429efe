#include "docker/container_info.h"

#include "docker/client_json.h"

namespace biodev::docker {

using json = nlohmann::json;

namespace {

const json& object_at(const json& j, const char* key) {
  static const json empty = json::object();
  if (!j.is_object()) return empty;
  auto it = j.find(key);
  return it != j.end() && it->is_object() ? *it : empty;
}

int to_port(const std::string& s) {
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return 0;
    v = v * 10 + (c - '0');
    if (v > 65535) return 0;
  }
  return v;
}

// {"5432/tcp": [{"HostIp": "127.0.0.1", "HostPort": "15432"}], ...}
std::vector<PortBinding> port_map(const json& ports) {
  std::vector<PortBinding> out;
  for (auto it = ports.begin(); it != ports.end(); ++it) {
    if (!it.value().is_array()) continue;
    auto slash = it.key().find('/');
    PortBinding base;
    base.container_port = to_port(it.key().substr(0, slash));
    base.protocol = slash == std::string::npos ? "tcp" : it.key().substr(slash + 1);
    for (const auto& b : it.value()) {
      if (!b.is_object()) continue;
      PortBinding pb = base;
      pb.host_ip = detail::str(b, "HostIp");
      pb.host_port = to_port(detail::str(b, "HostPort"));
      out.push_back(pb);
    }
  }
  return out;
}

}  // namespace

std::string ContainerInfo::first_ip() const {
  for (const auto& [name, ip] : networks)
    if (!ip.empty()) return ip;
  return "";
}

std::string ContainerInfo::label(const std::string& key) const {
  auto it = labels.find(key);
  return it == labels.end() ? std::string() : it->second;
}

ContainerInfo decode_container_info(const json& inspect) {
  ContainerInfo c;
  if (!inspect.is_object()) return c;
  c.id = detail::str(inspect, "Id");
  c.name = detail::str(inspect, "Name");
  if (c.name.starts_with('/')) c.name.erase(0, 1);
  const json& state = object_at(inspect, "State");
  c.running = state.value("Running", false);
  c.status = detail::str(state, "Status");
  if (auto code = state.find("ExitCode"); code != state.end() && code->is_number_integer())
    c.exit_code = code->get<int>();
  c.oom_killed = state.value("OOMKilled", false);
  c.health = detail::str(object_at(state, "Health"), "Status");
  const json& host = object_at(inspect, "HostConfig");
  if (auto mem = host.find("Memory"); mem != host.end() && mem->is_number_integer())
    c.memory_limit = mem->get<long long>();
  c.requested_ports = port_map(object_at(host, "PortBindings"));
  c.labels = detail::string_map(object_at(inspect, "Config"), "Labels");
  const json& settings = object_at(inspect, "NetworkSettings");
  c.published_ports = port_map(object_at(settings, "Ports"));
  for (const auto& [name, endpoint] : object_at(settings, "Networks").items())
    c.networks.emplace_back(name, detail::str(endpoint, "IPAddress"));
  return c;
}

}  // namespace biodev::docker
