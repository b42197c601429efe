// Endpoint parsing and the transport-independent parts of the HTTP types. The socket
// transport itself lives in socket_transport.cpp (the only Beast translation unit).
#include "docker/transport.h"

#include <fmt/format.h>

#include <cstdlib>

#include "util/error.h"
#include "util/strings.h"

namespace biodev::docker {

namespace {

constexpr std::string_view kUnixScheme = "unix://";
constexpr std::string_view kTcpScheme = "tcp://";
constexpr std::string_view kSshScheme = "ssh://";

[[noreturn]] void bad_host(std::string_view docker_host, std::string_view why) {
  throw UsageError(
      fmt::format("DOCKER_HOST={} is not supported: {} (expected unix:///path/to/docker.sock, "
                  "tcp://host:port or ssh://[user@]host[:port])",
                  docker_host, why));
}

// "host:port", "[v6]:port" or "host" into host and port ("" when absent).
void split_host_port(std::string_view docker_host, std::string_view rest, Endpoint& ep) {
  std::string_view port;
  if (starts_with(rest, "[")) {  // [::1]:2375
    auto close = rest.find(']');
    if (close == std::string_view::npos) bad_host(docker_host, "unterminated IPv6 address");
    ep.host = std::string(rest.substr(1, close - 1));
    std::string_view tail = rest.substr(close + 1);
    if (!tail.empty()) {
      if (tail[0] != ':') bad_host(docker_host, "junk after the IPv6 address");
      port = tail.substr(1);
    }
  } else if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    ep.host = std::string(rest.substr(0, colon));
    port = rest.substr(colon + 1);
  } else {
    ep.host = std::string(rest);
  }
  if (ep.host.empty()) bad_host(docker_host, "no host");
  ep.port = std::string(port);
  if (ep.port.find_first_not_of("0123456789") != std::string::npos) {
    bad_host(docker_host, "the port is not a number");
  }
}

std::string_view without_root_path(std::string_view docker_host, std::string_view rest) {
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    if (rest.substr(slash) != "/") bad_host(docker_host, "a path after the port");
    rest = rest.substr(0, slash);
  }
  return rest;
}

Endpoint parse_tcp(std::string_view docker_host, std::string_view rest, bool tls) {
  Endpoint ep;
  ep.kind = Endpoint::Kind::kTcp;
  split_host_port(docker_host, without_root_path(docker_host, rest), ep);
  // The engine's conventional ports, as the docker CLI assumes.
  if (ep.port.empty()) ep.port = tls ? "2376" : "2375";
  return ep;
}

// ssh://[user@]host[:port], as the docker CLI takes it (no path, no password).
Endpoint parse_ssh(std::string_view docker_host, std::string_view rest) {
  Endpoint ep;
  ep.kind = Endpoint::Kind::kSsh;
  rest = without_root_path(docker_host, rest);
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    ep.user = std::string(rest.substr(0, at));
    if (ep.user.empty()) bad_host(docker_host, "an empty user before @");
    if (ep.user.find(':') != std::string::npos) bad_host(docker_host, "a password in the URL (use an ssh key)");
    rest = rest.substr(at + 1);
  }
  split_host_port(docker_host, rest, ep);
  return ep;
}

// Only the usual names of this machine: an engine reached at another loopback address
// (127.0.0.2) is treated as elsewhere, which is how the remote case is tested here.
bool is_loopback_name(std::string_view host) {
  return host == "localhost" || host == "127.0.0.1" || host == "::1";
}

}  // namespace

Endpoint Endpoint::parse(std::string_view docker_host, bool tls) {
  std::string_view value = docker_host;
  if (value.empty()) return Endpoint{};
  if (starts_with(value, kUnixScheme)) {
    Endpoint ep;
    ep.path = std::string(value.substr(kUnixScheme.size()));
    if (ep.path.empty()) bad_host(docker_host, "no socket path");
    return ep;
  }
  if (starts_with(value, kTcpScheme))
    return parse_tcp(docker_host, value.substr(kTcpScheme.size()), tls);
  if (starts_with(value, kSshScheme)) return parse_ssh(docker_host, value.substr(kSshScheme.size()));
  auto scheme_end = value.find("://");
  if (scheme_end != std::string_view::npos) {
    bad_host(docker_host, fmt::format("the {} scheme", value.substr(0, scheme_end)));
  }
  bad_host(docker_host, "no scheme");
}

std::string Endpoint::to_string() const {
  if (kind == Kind::kUnix) return fmt::format("unix://{}", path);
  std::string h = host.find(':') != std::string::npos ? fmt::format("[{}]", host) : host;
  if (kind == Kind::kTcp) return fmt::format("tcp://{}:{}", h, port);
  return fmt::format("ssh://{}{}{}", user.empty() ? "" : user + "@", h, port.empty() ? "" : ":" + port);
}

bool Endpoint::on_this_machine() const {
  return kind == Kind::kUnix || is_loopback_name(host);
}

std::string HttpResponse::header(std::string_view name) const {
  std::string wanted = to_lower(name);
  for (const auto& [key, value] : headers) {
    if (key == wanted) return value;
  }
  return "";
}

}  // namespace biodev::docker
