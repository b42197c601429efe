// The host-port check before an up: which ports it looks at (pure), and whether a port
// is held, against real sockets on the loopback address.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fake_transport.h"
#include "plan/host_ports.h"
#include "plan_profiles.h"
#include "util/error.h"

using namespace biodev;
using namespace biodev::plan;

namespace {

profile::Profile ports_profile() { return plan_profile("ports.yaml"); }

std::string listed(const std::vector<HostPort>& ports) {
  std::string out;
  for (const auto& hp : ports)
    out += hp.service + " " + profile::port_string(hp.port) + " line " +
           std::to_string(hp.port.loc.line) + "\n";
  return out;
}

// A socket bound to 127.0.0.1 on a port the kernel picks; listening when TCP.
struct Held {
  int fd = -1;
  int port = 0;
  explicit Held(int type) {
    fd = socket(AF_INET, type, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    if (type == SOCK_STREAM) REQUIRE(listen(fd, 1) == 0);
    socklen_t len = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~Held() { close(fd); }
};

profile::PortSpec loopback(int port, const std::string& protocol = "tcp") {
  profile::PortSpec p;
  p.host_ip = "127.0.0.1";
  p.host_port = port;
  p.container_port = 80;
  p.protocol = protocol;
  p.loc = {"stack.yaml", 7, 13};
  return p;
}

}  // namespace

TEST_CASE("a cold up checks every fixed host port, with where the profile names it") {
  CHECK(listed(host_ports_to_check(ports_profile(), {}, ObservedState{})) ==
        "db 127.0.0.1:15432:5432 line 5\n"
        "dns 0.0.0.0:15353:53/udp line 8\n"
        "dns 127.0.0.1:15380:80 line 8\n");
}

TEST_CASE(
    "ports a container of the project publishes now are its own, whatever the state of the rest") {
  ObservedState s;
  ObservedContainer db{"id-db", "p-db", "db", "hash", "running", "upstream", {}, {}};
  db.ports.push_back({5432, "tcp", "127.0.0.1", 15432});
  db.ports.push_back({53, "tcp", "0.0.0.0", 15353});  // the same number over TCP: not the UDP one
  s.containers.push_back(db);
  CHECK(listed(host_ports_to_check(ports_profile(), {}, s)) ==
        "dns 0.0.0.0:15353:53/udp line 8\n"
        "dns 127.0.0.1:15380:80 line 8\n");
}

TEST_CASE("an up of some services checks only theirs") {
  DesiredOptions o;
  o.services = {"db", "web"};
  CHECK(listed(host_ports_to_check(ports_profile(), o, ObservedState{})) ==
        "db 127.0.0.1:15432:5432 line 5\n");
}

TEST_CASE("a port is in use while a program listens on it or holds it over UDP, and free after") {
  int tcp_port = 0, udp_port = 0;
  {
    Held tcp(SOCK_STREAM);
    Held udp(SOCK_DGRAM);
    tcp_port = tcp.port;
    udp_port = udp.port;
    CHECK(host_port_in_use(loopback(tcp_port)));
    CHECK(host_port_in_use(loopback(udp_port, "udp")));
    auto any = loopback(tcp_port);
    any.host_ip = "0.0.0.0";  // a wildcard bind meets the listener on 127.0.0.1
    CHECK(host_port_in_use(any));

    try {
      check_host_ports({{"api", loopback(tcp_port)}});
      FAIL("no error for a port in use");
    } catch (const Error& e) {
      CHECK(e.code() == ExitCode::kFailed);
      CHECK(std::string(e.what()) ==
            "stack.yaml:7:13: port 127.0.0.1:" + std::to_string(tcp_port) +
                " (service api) is already in use on this machine: another "
                "program or stack holds it; stop it, or change the service's "
                "ports: in the profile (0 lets the engine pick)");
    }
    try {
      check_host_ports({{"api", loopback(tcp_port)}, {"dns", loopback(udp_port, "udp")}});
      FAIL("no error for two ports in use");
    } catch (const Error& e) {
      std::string m = e.what();
      CHECK(m.rfind("2 ports are already in use on this machine", 0) == 0);
      CHECK(m.find("\n  stack.yaml:7:13: port 127.0.0.1:" + std::to_string(tcp_port) +
                   " (service api)") != std::string::npos);
      CHECK(m.find("\n  stack.yaml:7:13: port 127.0.0.1:" + std::to_string(udp_port) +
                   "/udp (service dns)") != std::string::npos);
    }
  }
  CHECK_FALSE(host_port_in_use(loopback(tcp_port)));
  CHECK_FALSE(host_port_in_use(loopback(udp_port, "udp")));
  CHECK_NOTHROW(check_host_ports({{"api", loopback(tcp_port)}}));
}

TEST_CASE("an address not on this machine is left to the engine") {
  auto p = loopback(15380);
  p.host_ip = "192.0.2.1";  // TEST-NET-1: bind fails with EADDRNOTAVAIL, not "in use"
  CHECK_FALSE(host_port_in_use(p));
  p.host_ip = "not-an-ip";
  CHECK_FALSE(host_port_in_use(p));
}

namespace {
bool claims(const nlohmann::json& inspect, const profile::PortSpec& port) {
  return claims_host_port(docker::decode_container_info(inspect), port);
}
}  // namespace

TEST_CASE("a container claims the host ports its create body binds, started or not") {
  // As GET /containers/{id}/json answers for a container created with 15432:5432 and
  // 15353:53/udp, before its start: NetworkSettings.Ports is still empty then.
  auto info = nlohmann::json::parse(R"({
    "State": {"Status": "created", "Running": false},
    "HostConfig": {"PortBindings": {
      "5432/tcp": [{"HostIp": "127.0.0.1", "HostPort": "15432"}],
      "53/udp": [{"HostIp": "", "HostPort": "15353"}]}},
    "NetworkSettings": {"Ports": {}}})");
  CHECK(claims(info, loopback(15432)));
  CHECK(claims(info, loopback(15353, "udp")));
  CHECK_FALSE(claims(info, loopback(15353)));  // TCP 15353 is not claimed
  CHECK_FALSE(claims(info, loopback(15433)));
  CHECK_FALSE(claims(nlohmann::json::parse(R"({"HostConfig": {"PortBindings": null}})"),
                               loopback(15432)));
  CHECK_FALSE(claims(nlohmann::json::object(), loopback(15432)));
}

TEST_CASE("a busy port that a running container of the project claims is its own, whatever the list says") {
  // Under load the engine's container list can show a container exited, or running
  // without its ports, for seconds after it (re)started; an inspect tells the truth.
  Held tcp(SOCK_STREAM);  // stands for the engine's port proxy
  profile::Profile p;
  p.project = "p";
  profile::Service api;
  api.name = "api";
  api.ports = {loopback(tcp.port)};
  p.services = {api};
  ObservedState observed;
  observed.containers.push_back({"c1", "p-api", "api", "", "exited", "", {}, {}, "", ""});
  auto fake = std::make_shared<docker::testing::FakeTransport>();
  docker::Client client{fake};
  fake->reply(200, R"({"State": {"Status": "running", "Running": true},
    "HostConfig": {"PortBindings": {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": ")" +
                       std::to_string(tcp.port) + R"("}]}}})");
  CHECK_NOTHROW(check_host_ports(client, "p", p, {}, observed));
  CHECK(fake->requests.size() == 1);

  // No container of the project claims it: someone else holds it, said at once.
  ObservedState none;
  try {
    check_host_ports(client, "p", p, {}, none);
    FAIL("no error for a port a stranger holds");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("port 127.0.0.1:" + std::to_string(tcp.port) + " (service api) is already in use") !=
          std::string::npos);
  }
  CHECK(fake->requests.size() == 1);
}
