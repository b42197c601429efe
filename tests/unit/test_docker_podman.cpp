#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "docker/client.h"
#include "docker/errors.h"
#include "docker/podman.h"
#include "fake_transport.h"

using namespace biodev::docker;
using biodev::docker::testing::FakeTransport;

namespace {

struct PodmanFixture {
  std::shared_ptr<FakeTransport> fake = [] {
    auto f = std::make_shared<FakeTransport>();
    f->ping_headers = {{"libpod-api-version", "4.3.1"}};
    return f;
  }();
  Client client{fake};
};

// GET /version from Podman 4.3.1 and Docker 20.10.24, trimmed to what is read.
const char* kPodmanVersion = R"({"Components": [
  {"Name": "Podman Engine", "Version": "4.3.1", "Details": {"APIVersion": "4.3.1"}},
  {"Name": "Conmon", "Version": "conmon version 2.1.6"}],
  "Version": "4.3.1", "ApiVersion": "1.41"})";
const char* kDockerVersion = R"({"Components": [
  {"Name": "Engine", "Version": "20.10.24+dfsg1", "Details": {"ApiVersion": "1.41"}},
  {"Name": "containerd", "Version": "1.6.20~ds1"}],
  "Version": "20.10.24+dfsg1", "ApiVersion": "1.41"})";

// A Podman 4.3.1 compat list entry and the libpod list entry of the same container.
const char* kPodmanList =
    R"([{"Id": "5b4b", "Names": ["/p-redis"], "Image": "docker.io/biodev/redis:7",
  "State": "running", "Status": "Up 15 seconds", "Labels": {"dev.biodev.project": "p"}, "Ports": []},
  {"Id": "8162", "Names": ["/p-old"], "Image": "localhost/biodev/postgres:15", "State": "exited",
  "Status": "Exited (0) 2 seconds ago", "Labels": {}, "Ports": []}])";
const char* kLibpodList =
    R"([{"Id": "5b4b", "Names": ["p-redis"], "State": "running", "Status": "healthy"},
  {"Id": "8162", "Names": ["p-old"], "State": "exited", "Status": "unhealthy"}])";

}  // namespace

TEST_CASE("engine_identity names Docker or Podman from /version's components") {
  EngineIdentity podman = engine_identity(nlohmann::json::parse(kPodmanVersion));
  CHECK(podman.name == "Podman");
  CHECK(podman.version == "4.3.1");
  EngineIdentity docker = engine_identity(nlohmann::json::parse(kDockerVersion));
  CHECK(docker.name == "Docker");
  CHECK(docker.version == "20.10.24+dfsg1");
  EngineIdentity old = engine_identity(nlohmann::json::parse(R"({"Version": "1.13.1"})"));
  CHECK(old.name == "Docker");
  CHECK(old.version == "1.13.1");
}

TEST_CASE("familiar_image_name drops the registry Podman writes out") {
  CHECK(podman::familiar_image_name("docker.io/library/postgres:16") == "postgres:16");
  CHECK(podman::familiar_image_name("docker.io/biodev/redis:7") == "biodev/redis:7");
  CHECK(podman::familiar_image_name("localhost/biodev/runtime:0.1.0") == "biodev/runtime:0.1.0");
  CHECK(podman::familiar_image_name("quay.io/x/y:1") == "quay.io/x/y:1");
  CHECK(podman::familiar_image_name("localhost:5000/x:1") == "localhost:5000/x:1");
  CHECK(podman::familiar_image_name("sha256:ab") == "sha256:ab");
}

TEST_CASE("status_with_health writes the health as Docker's list does") {
  CHECK(podman::status_with_health("Up 3 seconds", "healthy") == "Up 3 seconds (healthy)");
  CHECK(podman::status_with_health("Up 3 seconds", "unhealthy") == "Up 3 seconds (unhealthy)");
  CHECK(podman::status_with_health("Up 3 seconds", "starting") ==
        "Up 3 seconds (health: starting)");
  CHECK(podman::status_with_health("Up 3 seconds", "") == "Up 3 seconds");
  auto health = podman::health_by_id(nlohmann::json::parse(kLibpodList));
  CHECK(health.at("5b4b") == "healthy");
  CHECK(podman::health_by_id(nlohmann::json::parse("null")).empty());
}

TEST_CASE("Podman's 500s that Docker answers 409 or 404 are classified as Docker's") {
  CHECK(podman::classify(
            500,
            "container create: creating container storage: the container name \"p-redis\" is "
            "already in use by 9bd3. You have to remove that container to be able to reuse "
            "that name: that name is already in use") == ErrorKind::kConflict);
  CHECK(podman::classify(500, "network name p_net already used: network already exists") ==
        ErrorKind::kConflict);
  CHECK(podman::classify(
            500,
            "cannot remove container 9bd3 as it is running - running or paused containers "
            "cannot be removed without force: container state improper") == ErrorKind::kConflict);
  CHECK(podman::classify(
            500, "container create: unable to find network with name or ID n: network not found") ==
        ErrorKind::kNotFound);
  CHECK(podman::classify(404, "no such image: docker.io/x:1: image not known") ==
        ErrorKind::kNotFound);
  CHECK(podman::classify(500, "Bind for 127.0.0.1:5432 failed: port is already allocated") ==
        ErrorKind::kPortAllocated);
  CHECK(podman::classify(500, "something else") == ErrorKind::kServer);
  CHECK(podman::explain(
            "x: container-init binary not found on the host: stat /usr/libexec/podman/catatonit")
            .find("apt-get install catatonit") != std::string::npos);
  CHECK(podman::explain("other") == "other");
}

TEST_CASE("a bounded event query is asked of Podman without until, and answered as Docker would") {
  std::string filters = url_encode(R"({"event":["kill","destroy"],"type":["container"]})");
  auto q = podman::bounded_events_query("/events?since=100&until=200.5&filters=" + filters);
  REQUIRE(q);
  CHECK(q->until_ns == 200'500'000'000LL);
  CHECK(q->path == "/events?since=100&filters=" +
                       url_encode(R"({"event":["kill","remove"],"type":["container"]})") +
                       "&stream=false");
  CHECK_FALSE(podman::bounded_events_query("/events?since=100"));
  CHECK_FALSE(podman::bounded_events_query("/events?since=100&until=2026-01-01T00:00:00Z"));
  CHECK_FALSE(podman::bounded_events_query("/containers/json?until=1"));

  std::string body = R"({"status":"remove","id":"a","Action":"remove","timeNano":200000000000})"
                     "\n"
                     R"({"status":"die","id":"a","Action":"die","timeNano":200600000000})"
                     "\n\n";
  CHECK(podman::docker_events(body, q->until_ns) ==
        R"({"Action":"destroy","id":"a","status":"destroy","timeNano":200000000000})"
        "\n");
}

TEST_CASE("docker_build_output words Podman's build steps as the classic builder") {
  CHECK(podman::docker_build_output("STEP 3/8: RUN exit 3\n") == "Step 3/8 : RUN exit 3\n");
  CHECK(podman::docker_build_output("--> dd9c3e5ff6d\n") == " ---> dd9c3e5ff6d\n");
  CHECK(podman::docker_build_output("--> Using cache dd9c\nSTEP 4/8: CMD x") ==
        " ---> Using cache dd9c\nStep 4/8 : CMD x");
  CHECK(podman::docker_build_output("hi STEP 1/2: no\n") == "hi STEP 1/2: no\n");
}

TEST_CASE("url_decode undoes url_encode and keeps malformed escapes") {
  CHECK(url_decode(url_encode(R"({"label":["a=b c"]})")) == R"({"label":["a=b c"]})");
  CHECK(url_decode("100%") == "100%");
  CHECK(url_decode("%zz%4") == "%zz%4");
  CHECK(url_decode("%7b%7D") == "{}");
}

TEST_CASE("client on Podman: list in Docker's shape, errors classified, commit with a body") {
  PodmanFixture f;
  f.fake->reply(200, kPodmanList).reply(200, kLibpodList);
  auto list = f.client.list_containers({{"label", {"dev.biodev.project=p"}}});
  REQUIRE(list.size() == 2);
  CHECK(f.client.podman());
  CHECK(list[0].image == "biodev/redis:7");
  CHECK(list[0].status == "Up 15 seconds (healthy)");
  CHECK(list[1].image == "biodev/postgres:15");
  CHECK(list[1].status == "Exited (0) 2 seconds ago");
  CHECK(f.fake->requests[1].target.starts_with("/v1.41/libpod/containers/json?all=true&filters="));

  f.fake->reply(
      500, R"({"cause":"that name is already in use","message":"the container name \"p-redis\" is )"
           R"(already in use by 9bd3: that name is already in use","response":500})");
  ErrorKind kind = ErrorKind::kServer;
  try {
    f.client.create_container("p-redis", json{{"Image", "biodev/redis:7"}});
  } catch (const EngineError& e) {
    kind = e.kind();
  }
  CHECK(kind == ErrorKind::kConflict);

  f.fake->reply(201, R"({"Id":"c367"})");
  CHECK(f.client.commit("abc", "p-api:1", "made") == "c367");
  CHECK(f.fake->last().body == "{}");
}

TEST_CASE("client on Docker: no libpod call, names and bodies as they are") {
  auto fake = std::make_shared<FakeTransport>();
  Client client{fake};
  fake->reply(200, kPodmanList);
  auto list = client.list_containers({});
  CHECK_FALSE(client.podman());
  CHECK(list[0].image == "docker.io/biodev/redis:7");
  CHECK(list[0].status == "Up 15 seconds");
  CHECK(fake->requests.size() == 1);
  fake->reply(201, R"({"Id":"c367"})");
  client.commit("abc", "p-api:1", "made");
  CHECK(fake->last().body.empty());
}

TEST_CASE("client on Podman: build progress in the classic builder's words") {
  PodmanFixture f;
  f.fake->reply_chunks({R"({"stream":"STEP 1/2: FROM scratch\n"})"
                        "\n",
                        R"({"aux":{"ID":"sha256:ab"}})"
                        "\n"});
  std::vector<std::string> lines;
  auto sink = [&](const BuildOutput& e) { lines.push_back(e.stream); };
  CHECK(f.client.build_image("/nonexistent.tar", "x:1", sink) == "sha256:ab");
  CHECK(lines.front() == "Step 1/2 : FROM scratch\n");
}

TEST_CASE("client on Podman: a bounded event query through call()") {
  PodmanFixture f;
  f.fake->reply(200, R"({"status":"remove","id":"a","Action":"remove","timeNano":1000000000})"
                     "\n");
  HttpResponse r = f.client.call("GET", "/events?since=0&until=2");
  CHECK(f.fake->last().target == "/v1.41/events?since=0&stream=false");
  CHECK(r.body == R"({"Action":"destroy","id":"a","status":"destroy","timeNano":1000000000})"
                  "\n");
}
