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

[[noreturn]] void bad_host(std::string_view docker_host, std::string_view why) {
  throw UsageError(
      fmt::format("DOCKER_HOST={} is not supported: {} (expected unix:///path/to/docker.sock or "
                  "tcp://host:port)",
                  docker_host, why));
}

Endpoint parse_tcp(std::string_view docker_host, std::string_view rest) {
  Endpoint ep;
  ep.kind = Endpoint::Kind::kTcp;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    if (rest.substr(slash) != "/") bad_host(docker_host, "a path after the port");
    rest = rest.substr(0, slash);
  }
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
  // The engine's conventional plain-HTTP port, as the docker CLI assumes.
  ep.port = port.empty() ? "2375" : std::string(port);
  if (ep.port.find_first_not_of("0123456789") != std::string::npos) {
    bad_host(docker_host, "the port is not a number");
  }
  return ep;
}

}  // namespace

Endpoint Endpoint::parse(std::string_view docker_host) {
  std::string_view value = docker_host;
  if (value.empty()) return Endpoint{};
  if (starts_with(value, kUnixScheme)) {
    Endpoint ep;
    ep.path = std::string(value.substr(kUnixScheme.size()));
    if (ep.path.empty()) bad_host(docker_host, "no socket path");
    return ep;
  }
  if (starts_with(value, kTcpScheme))
    return parse_tcp(docker_host, value.substr(kTcpScheme.size()));
  auto scheme_end = value.find("://");
  if (scheme_end != std::string_view::npos) {
    bad_host(docker_host, fmt::format("the {} scheme", value.substr(0, scheme_end)));
  }
  bad_host(docker_host, "no scheme");
}

Endpoint Endpoint::from_env() {
  const char* value = std::getenv("DOCKER_HOST");
  return parse(value ? value : "");
}

std::string Endpoint::to_string() const {
  if (kind == Kind::kUnix) return fmt::format("unix://{}", path);
  if (host.find(':') != std::string::npos) return fmt::format("tcp://[{}]:{}", host, port);
  return fmt::format("tcp://{}:{}", host, port);
}

std::string HttpResponse::header(std::string_view name) const {
  std::string wanted = to_lower(name);
  for (const auto& [key, value] : headers) {
    if (key == wanted) return value;
  }
  return "";
}

}  // namespace biodev::docker
