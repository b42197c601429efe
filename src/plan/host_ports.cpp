#include "plan/host_ports.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "util/error.h"

namespace biodev::plan {

std::vector<HostPort> host_ports_to_check(const profile::Profile& p, const DesiredOptions& o,
                                          const ObservedState& observed) {
  std::vector<HostPort> out;
  for (const auto& base : p.services) {
    if (!o.services.empty() && !o.services.count(base.name)) continue;
    const profile::Service& s = effective_service(base, o);
    for (const auto& port : s.ports) {
      if (port.host_port == 0) continue;
      bool ours = false;
      for (const auto& c : observed.containers)
        for (const auto& b : c.ports)
          ours |= b.host_port == port.host_port && b.protocol == port.protocol;
      if (!ours) out.push_back({s.name, port});
    }
  }
  return out;
}

bool host_port_in_use(const profile::PortSpec& port) {
  sockaddr_storage addr{};
  socklen_t len = 0;
  const std::string& ip = port.host_ip;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (ip.empty() || ip == "0.0.0.0") {
    v4->sin_family = AF_INET;
    v4->sin_addr.s_addr = htonl(INADDR_ANY);
    len = sizeof *v4;
  } else if (inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    len = sizeof *v4;
  } else if (inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    len = sizeof *v6;
  } else {
    return false;
  }
  if (addr.ss_family == AF_INET)
    v4->sin_port = htons(static_cast<uint16_t>(port.host_port));
  else
    v6->sin6_port = htons(static_cast<uint16_t>(port.host_port));

  int fd =
      socket(addr.ss_family, (port.protocol == "udp" ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  // As the engine's port proxy binds a TCP port: a connection of a stopped program
  // still in TIME_WAIT does not make it busy. (On UDP the option would share the port.)
  int one = 1;
  if (port.protocol != "udp") setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  bool in_use = bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 && errno == EADDRINUSE;
  close(fd);
  return in_use;
}

void check_host_ports(const std::vector<HostPort>& ports) {
  std::vector<std::string> busy;
  for (const auto& hp : ports) {
    if (!host_port_in_use(hp.port)) continue;
    const auto& p = hp.port;
    busy.push_back((p.loc.line ? p.loc.to_string() + ": " : std::string()) + "port " +
                   (p.host_ip.empty() ? "0.0.0.0" : p.host_ip) + ":" + std::to_string(p.host_port) +
                   (p.protocol == "tcp" ? "" : "/" + p.protocol) + " (service " + hp.service + ")");
  }
  if (busy.empty()) return;
  if (busy.size() == 1)
    throw Error(ExitCode::kFailed,
                busy[0] +
                    " is already in use on this machine: another program or stack "
                    "holds it; stop it, or change the service's ports: in the "
                    "profile (0 lets the engine pick)");
  std::string msg = std::to_string(busy.size()) +
                    " ports are already in use on this machine (other programs or stacks hold "
                    "them); stop those, or change the services' ports: in "
                    "the profile (0 lets the engine pick):";
  for (const auto& b : busy) msg += "\n  " + b;
  throw Error(ExitCode::kFailed, msg);
}

}  // namespace biodev::plan
