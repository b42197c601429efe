// What biodev reads of an inspect document: typed, and tolerant of what old engines and
// Podman leave out or send as null.
#include <doctest/doctest.h>

#include "docker/container_info.h"

using namespace biodev::docker;

TEST_CASE("an inspect document decodes to its state, exit, limits, labels, ports and networks") {
  auto info = decode_container_info(nlohmann::json::parse(R"({
    "Id": "e90e34656806", "Name": "/p-postgres",
    "State": {"Status": "exited", "Running": false, "ExitCode": 137, "OOMKilled": true,
              "Health": {"Status": "unhealthy"}},
    "HostConfig": {"Memory": 268435456,
                   "PortBindings": {"5432/tcp": [{"HostIp": "127.0.0.1", "HostPort": "15432"}],
                                    "53/udp": [{"HostIp": "", "HostPort": ""}]}},
    "Config": {"Labels": {"dev.biodev.project": "p"}},
    "NetworkSettings": {"Ports": {"5432/tcp": [{"HostIp": "0.0.0.0", "HostPort": "15432"},
                                               {"HostIp": "::", "HostPort": "15432"}],
                                  "6379/tcp": null},
                        "Networks": {"p_front": {"IPAddress": ""}, "p_bio_net": {"IPAddress": "172.18.0.3"}}}})"));
  CHECK(info.id == "e90e34656806");
  CHECK(info.name == "p-postgres");
  CHECK_FALSE(info.running);
  CHECK(info.status == "exited");
  CHECK(info.exit_code == 137);
  CHECK(info.oom_killed);
  CHECK(info.health == "unhealthy");
  CHECK(info.memory_limit == 268435456);
  CHECK(info.label("dev.biodev.project") == "p");
  CHECK(info.label("missing") == "");
  REQUIRE(info.requested_ports.size() == 2);
  // Keys in the engine's (sorted) order: "53/udp" before "5432/tcp".
  CHECK(info.requested_ports[0].container_port == 53);
  CHECK(info.requested_ports[0].protocol == "udp");
  CHECK(info.requested_ports[0].host_port == 0);  // any free port
  CHECK(info.requested_ports[1].container_port == 5432);
  CHECK(info.requested_ports[1].host_port == 15432);
  REQUIRE(info.published_ports.size() == 2);
  CHECK(info.published_ports[1].host_ip == "::");
  REQUIRE(info.networks.size() == 2);
  CHECK(info.networks[0].first == "p_bio_net");  // by name
  CHECK(info.first_ip() == "172.18.0.3");
}

TEST_CASE("an empty or malformed inspect document decodes to defaults, never throws") {
  for (const char* doc : {"{}", "null", "[]", R"({"State": null, "HostConfig": {"PortBindings": null}})",
                          R"({"NetworkSettings": {"Ports": {"x/tcp": [{"HostPort": "99999"}]}, "Networks": []}})"}) {
    CAPTURE(doc);
    ContainerInfo info;
    CHECK_NOTHROW(info = decode_container_info(nlohmann::json::parse(doc)));
    CHECK(info.exit_code == -1);
    CHECK_FALSE(info.running);
    CHECK(info.first_ip() == "");
    CHECK(info.labels.empty());
  }
}
