#include "plan/host_ports.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "docker/errors.h"
#include "util/error.h"
#include "util/unique_fd.h"

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

  UniqueFd fd(socket(addr.ss_family,
                     (port.protocol == "udp" ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0));
  if (!fd) return false;
  // As the engine's port proxy binds a TCP port: a connection of a stopped program
  // still in TIME_WAIT does not make it busy. (On UDP the option would share the port.)
  int one = 1;
  if (port.protocol != "udp") setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  return bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0 && errno == EADDRINUSE;
}

namespace {

// "stack.yaml:7:13: port 127.0.0.1:5432 (service postgres)"
std::string port_name(const HostPort& hp) {
  const auto& p = hp.port;
  return (p.loc.line ? p.loc.to_string() + ": " : std::string()) + "port " +
         (p.host_ip.empty() ? "0.0.0.0" : p.host_ip) + ":" + std::to_string(p.host_port) +
         (p.protocol == "tcp" ? "" : "/" + p.protocol) + " (service " + hp.service + ")";
}

// The program that holds a TCP port, when this process may see it ("docker-proxy", pid):
// the listening socket's inode from /proc/net/tcp{,6}, then the /proc/<pid>/fd that is
// that socket. Empty when not found (another user's process, without root).
std::pair<std::string, int> tcp_holder(int port) {
  std::set<std::string> inodes;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // the header
    while (std::getline(in, line)) {
      std::istringstream f(line);
      std::string sl, local, remote, state, queues, timer, retr, uid, timeout, inode;
      f >> sl >> local >> remote >> state >> queues >> timer >> retr >> uid >> timeout >> inode;
      size_t colon = local.rfind(':');
      if (state != "0A" || colon == std::string::npos) continue;  // 0A: LISTEN
      if (std::stoi(local.substr(colon + 1), nullptr, 16) == port) inodes.insert("socket:[" + inode + "]");
    }
  }
  if (inodes.empty()) return {};
  std::error_code ec;
  for (const auto& proc : std::filesystem::directory_iterator("/proc", ec)) {
    std::string pid = proc.path().filename();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::error_code fd_ec;
    for (const auto& fd : std::filesystem::directory_iterator(proc.path() / "fd", fd_ec)) {
      std::error_code link_ec;
      auto target = std::filesystem::read_symlink(fd.path(), link_ec);
      if (link_ec || !inodes.count(target.string())) continue;
      std::ifstream comm(proc.path() / "comm");
      std::string name;
      std::getline(comm, name);
      return {name, std::stoi(pid)};
    }
  }
  return {};
}

// " (held by docker-proxy, pid 812: a port proxy the engine left behind ...)" for the
// engine's own leftovers, which no container claims; "" for any other holder.
std::string holder_hint(const HostPort& hp) {
  if (hp.port.protocol != "tcp") return "";
  auto [name, pid] = tcp_holder(hp.port.host_port);
  if (name != "docker-proxy") return "";
  return " (held by docker-proxy, pid " + std::to_string(pid) +
         ": a port proxy of the Docker engine that no container claims, which an engine restart can leave "
         "behind; restart the engine, or end that process)";
}

std::vector<HostPort> in_use(const std::vector<HostPort>& ports) {
  std::vector<HostPort> out;
  for (const auto& hp : ports)
    if (host_port_in_use(hp.port)) out.push_back(hp);
  return out;
}

// For each of `busy`, whether a container of the project claims it: unset when none
// does, else whether one of the claimers runs (false: created or stopped, no start of
// it in flight yet). An inspect returns only once a start the engine is running ends
// (it holds the container for the whole start), so it says whether that start made
// it. Stopped containers are asked too: the snapshot may show one exited that the
// engine is starting again (the restart of a killed `biodev restart`), its ports bound.
std::vector<std::optional<bool>> own_claims(docker::Client& client, const ObservedState& observed,
                                            const std::vector<HostPort>& busy) {
  std::vector<std::optional<bool>> out(busy.size());
  for (const auto& c : observed.containers) {
    docker::ContainerInfo info;
    try {
      info = client.inspect_container(c.id);
    } catch (const docker::EngineError& e) {
      if (e.kind() == docker::ErrorKind::kUnreachable) throw;
      continue;  // gone since the snapshot
    }
    for (size_t i = 0; i < busy.size(); ++i)
      if (claims_host_port(info, busy[i].port)) out[i] = out[i].value_or(false) || info.running;
  }
  return out;
}

}  // namespace

bool claims_host_port(const docker::ContainerInfo& info, const profile::PortSpec& port) {
  for (const auto& b : info.requested_ports)
    if (b.protocol == port.protocol && b.host_port != 0 && b.host_port == port.host_port) return true;
  return false;
}

void check_host_ports(docker::Client& client, const std::string& project,
                      const profile::Profile& p, const DesiredOptions& o, ObservedState& observed) {
  using namespace std::chrono;
  // A port a running container of the project claims is its own, whatever the container
  // list says: under load the engine's list lags (a container shown without its ports, or
  // exited, for seconds after it started). A start request of a killed `up` still on
  // its way to the engine shows within a second or so; after that a created or stopped
  // container holds nothing, and someone else does.
  const auto t0 = steady_clock::now();
  while (true) {
    std::vector<HostPort> busy = in_use(host_ports_to_check(p, o, observed));
    if (busy.empty()) return;
    auto claims = own_claims(client, observed, busy);
    std::vector<HostPort> foreign;
    bool pending = false;  // a claim by a container not (yet) running
    for (size_t i = 0; i < busy.size(); ++i) {
      if (claims[i].value_or(false)) continue;
      pending |= claims[i].has_value();
      foreign.push_back(busy[i]);
    }
    if (foreign.empty()) return;
    if (!pending || steady_clock::now() - t0 > milliseconds(1500)) {
      check_host_ports(foreign);  // throws, unless the ports were let go meanwhile
      continue;
    }
    std::this_thread::sleep_for(milliseconds(100));
    observed = observe(client, project);
  }
}

void check_host_ports(const std::vector<HostPort>& ports) {
  std::vector<std::string> busy;
  for (const auto& hp : in_use(ports)) busy.push_back(port_name(hp) + holder_hint(hp));
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
