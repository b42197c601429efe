#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "docker/client.h"
#include "docker/errors.h"
#include "docker/network_release.h"
#include "fake_transport.h"

using namespace biodev::docker;
using biodev::docker::testing::FakeTransport;

namespace {

struct Fixture {
  std::shared_ptr<FakeTransport> fake = std::make_shared<FakeTransport>();
  Client client{fake};
};

ErrorKind kind_of(const std::function<void()>& fn, std::string* message = nullptr) {
  try {
    fn();
  } catch (const EngineError& e) {
    if (message) *message = e.what();
    return e.kind();
  }
  FAIL("no EngineError thrown");
  return ErrorKind::kServer;
}

std::string frame(uint8_t stream, const std::string& payload) {
  std::string out{static_cast<char>(stream), 0, 0, 0};
  auto size = static_cast<uint32_t>(payload.size());
  for (int shift : {24, 16, 8, 0}) out += static_cast<char>((size >> shift) & 0xFF);
  return out + payload;
}

// GET /containers/json from Docker Engine 20.10: the first entry verbatim from a live
// engine (IPv4 and IPv6 listings of one published port), the second with null fields.
const char* kContainerList = R"([
  {
    "Id": "2e5c3572421589e99d469370d70f78411c3299fdb594c301af2d6be79065cb57",
    "Names": ["/sample1"],
    "Image": "biodev-test/busybox:1",
    "ImageID": "sha256:45cfd51a029809755cae4f7faa7f63e9216e9f5b23e5c45998d6fe0b621fdd98",
    "Command": "/bin/busybox sh -c 'while true; do /bin/busybox sleep 1; done'",
    "Created": 1795618883,
    "Ports": [
      {"IP": "127.0.0.1", "PrivatePort": 5432, "PublicPort": 15432, "Type": "tcp"},
      {"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 18080, "Type": "tcp"},
      {"IP": "::", "PrivatePort": 80, "PublicPort": 18080, "Type": "tcp"}
    ],
    "Labels": {"dev.biodev.project": "x"},
    "State": "running",
    "Status": "Up 1 second",
    "HostConfig": {"NetworkMode": "default"},
    "NetworkSettings": {"Networks": {"bridge": {
      "IPAMConfig": null, "Links": null, "Aliases": null,
      "NetworkID": "ce192ec0c020b3bd589383e3ba49f91a40801a4c0f6b0a497166c7cc36c4733a",
      "EndpointID": "f5f9055b1d3a9a009101b2e9a7dd30dd509a8e28dc2c0c7b6fd22d5f342c57d2",
      "Gateway": "172.17.0.1", "IPAddress": "172.17.0.2", "IPPrefixLen": 16,
      "IPv6Gateway": "", "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0,
      "MacAddress": "02:42:ac:11:00:02", "DriverOpts": null}}},
    "Mounts": []
  },
  {
    "Id": "9cd87474be90",
    "Names": ["/biodev-demo-db"],
    "Image": "postgres:16",
    "ImageID": "sha256:d74508fb6632491cea586a1fd7d748dfc5274cd6fdfedee309ecdcbc2bf5cb82",
    "Command": "docker-entrypoint.sh postgres",
    "Created": 1367854155,
    "Ports": [
      {"PrivatePort": 5432, "Type": "tcp"},
      {"IP": "::1", "PrivatePort": 9187, "PublicPort": 19187, "Type": "tcp"},
      {"IP": "0.0.0.0", "PrivatePort": 53, "PublicPort": 1053, "Type": "udp"},
      {"IP": "::", "PrivatePort": 53, "PublicPort": 1053, "Type": "udp"}
    ],
    "Labels": null,
    "State": "exited",
    "Status": "Exited (0) 2 hours ago",
    "HostConfig": {"NetworkMode": "biodev-demo"},
    "NetworkSettings": {"Networks": {"biodev-demo": {}, "bridge": {}}},
    "Mounts": []
  }
])";

}  // namespace

TEST_CASE("negotiation picks min(engine, max) and prefixes every path, once") {
  Fixture f;
  f.fake->api_version = "1.41";
  f.fake->reply(200, "[]").reply(200, "[]");
  f.client.list_containers({});
  f.client.list_containers({}, false);
  CHECK(f.client.api_version() == "1.41");
  CHECK(f.fake->pings == 1);
  REQUIRE(f.fake->requests.size() == 2);
  CHECK(f.fake->requests[0].target == "/v1.41/containers/json?all=1");
  CHECK(f.fake->requests[1].target == "/v1.41/containers/json");

  Fixture newer;
  newer.fake->api_version = "1.51";  // Engine 29 speaks more than biodev knows
  CHECK(newer.client.api_version() == Client::kMaxApiVersion);

  Fixture ancient;
  ancient.fake->api_version = "";  // no API-Version header at all
  CHECK(ancient.client.api_version() == "1.24");

  Fixture two_digit;
  two_digit.fake->api_version = "1.9";  // numeric, not string, comparison
  CHECK(two_digit.client.api_version() == "1.9");
}

TEST_CASE("list_containers parses an engine sample") {
  Fixture f;
  f.fake->reply(200, kContainerList);
  auto list = f.client.list_containers({});
  REQUIRE(list.size() == 2);

  const ContainerSummary& a = list[0];
  CHECK(a.id == "2e5c3572421589e99d469370d70f78411c3299fdb594c301af2d6be79065cb57");
  CHECK(a.name == "sample1");
  CHECK(a.image == "biodev-test/busybox:1");
  CHECK(a.image_id == "sha256:45cfd51a029809755cae4f7faa7f63e9216e9f5b23e5c45998d6fe0b621fdd98");
  CHECK(a.state == "running");
  CHECK(a.status == "Up 1 second");
  CHECK(a.created == 1795618883);
  CHECK(a.label("dev.biodev.project") == "x");
  CHECK(a.label("missing").empty());
  CHECK(a.networks == std::vector<std::string>{"bridge"});
  CHECK(a.ip == "172.17.0.2");  // a probe of an unpublished port needs no inspect
  REQUIRE(a.ports.size() == 2);  // the "::" twin of 18080 is dropped
  CHECK(a.ports[0].host_ip == "127.0.0.1");
  CHECK(a.ports[0].container_port == 5432);
  CHECK(a.ports[0].host_port == 15432);
  CHECK(a.ports[0].protocol == "tcp");
  CHECK(a.ports[1].host_ip == "0.0.0.0");
  CHECK(a.ports[1].container_port == 80);
  CHECK(a.ports[1].host_port == 18080);

  const ContainerSummary& b = list[1];
  CHECK(b.name == "biodev-demo-db");
  CHECK(b.labels.empty());
  CHECK(b.networks == std::vector<std::string>{"biodev-demo", "bridge"});
  CHECK(b.ip.empty());  // endpoints without an address
  REQUIRE(b.ports.size() == 3);
  CHECK(b.ports[0].host_ip.empty());  // exposed, not published
  CHECK(b.ports[0].host_port == 0);
  CHECK(b.ports[1].protocol == "udp");
  CHECK(b.ports[1].host_ip == "0.0.0.0");
  CHECK(b.ports[2].host_ip == "::1");  // IPv6-only binding is kept
  CHECK(b.ports[2].host_port == 19187);
}

TEST_CASE("filters are URL-encoded JSON") {
  CHECK(encode_filters({}).empty());
  CHECK(encode_filters({{"label", {"dev.biodev.project=foo"}}}) ==
        "%7B%22label%22%3A%5B%22dev.biodev.project%3Dfoo%22%5D%7D");
  CHECK(encode_filters({{"name", {"db"}}, {"label", {"a=1", "b"}}}) ==
        "%7B%22label%22%3A%5B%22a%3D1%22%2C%22b%22%5D%2C%22name%22%3A%5B%22db%22%5D%7D");
  CHECK(url_encode("a b/c?d&e=é~-._") == "a%20b%2Fc%3Fd%26e%3D%C3%A9~-._");

  Fixture f;
  f.fake->reply(200, "[]").reply(200, R"({"Volumes":null,"Warnings":null})");
  f.client.list_containers({{"label", {"dev.biodev.project=foo"}}});
  CHECK(f.fake->requests[0].target ==
        "/v1.41/containers/json?all=1&filters="
        "%7B%22label%22%3A%5B%22dev.biodev.project%3Dfoo%22%5D%7D");
  CHECK(f.client.list_volumes({{"dangling", {"true"}}}).empty());
  CHECK(f.fake->requests[1].target ==
        "/v1.41/volumes?filters=%7B%22dangling%22%3A%5B%22true%22%5D%7D");
}

TEST_CASE("pull_image: request shape, progress, and errorDetail mid-stream") {
  Fixture f;
  // Lines split across chunks, as they arrive from a socket.
  f.fake->reply_chunks({
      "{\"status\":\"Pulling from library/postgres\",\"id\":\"16\"}\r\n{\"status\":\"Pulling fs ",
      "layer\",\"progressDetail\":{},\"id\":\"a1\"}\r\n",
      "{\"errorDetail\":{\"message\":\"Get \\\"https://registry-1.docker.io/v2/\\\": dial tcp: "
      "lookup registry-1.docker.io: no such host\"},\"error\":\"Get ...\"}\r\n",
      "{\"status\":\"never seen\"}\r\n",
  });
  std::vector<std::string> seen;
  std::string message;
  ErrorKind kind = kind_of(
      [&] {
        f.client.pull_image("postgres:16", [&](const json& e) { seen.push_back(e["status"]); });
      },
      &message);
  CHECK(kind == ErrorKind::kPullFailed);
  CHECK(message ==
        "pull postgres:16: Get \"https://registry-1.docker.io/v2/\": dial tcp: lookup "
        "registry-1.docker.io: no such host");
  CHECK(seen == std::vector<std::string>{"Pulling from library/postgres", "Pulling fs layer"});
  CHECK(f.fake->last().method == "POST");
  CHECK(f.fake->last().target == "/v1.41/images/create?fromImage=postgres&tag=16");

  f.fake->reply(404, R"({"message":"pull access denied for nope, repository does not exist"})");
  CHECK(kind_of([&] { f.client.pull_image("localhost:5000/nope", {}); }, &message) ==
        ErrorKind::kPullFailed);
  CHECK(message ==
        "pull localhost:5000/nope: pull access denied for nope, repository does not exist");
  CHECK(f.fake->last().target ==
        "/v1.41/images/create?fromImage=localhost%3A5000%2Fnope&tag=latest");
}

TEST_CASE("split_image_ref") {
  using P = std::pair<std::string, std::string>;
  CHECK(split_image_ref("postgres") == P{"postgres", "latest"});
  CHECK(split_image_ref("postgres:16") == P{"postgres", "16"});
  CHECK(split_image_ref("localhost:5000/x") == P{"localhost:5000/x", "latest"});
  CHECK(split_image_ref("localhost:5000/x:1") == P{"localhost:5000/x", "1"});
  CHECK(split_image_ref("ghcr.io/org/app:2.1-alpine") == P{"ghcr.io/org/app", "2.1-alpine"});
  CHECK(split_image_ref("x@sha256:ab12") == P{"x", "sha256:ab12"});
  CHECK(split_image_ref("localhost:5000/x:1@sha256:ab12") == P{"localhost:5000/x", "sha256:ab12"});
}

TEST_CASE("inspect_image: 404 is nullopt, 200 is parsed, 500 throws") {
  Fixture f;
  f.fake->reply(404, R"({"message":"No such image: postgres:99"})");
  CHECK_FALSE(f.client.inspect_image("postgres:99").has_value());
  CHECK(f.fake->last().target == "/v1.41/images/postgres:99/json");

  f.fake->reply(200, R"({"Id":"sha256:abc","RepoTags":["biodev/app:1"],"Size":1234,
                        "Config":{"Labels":{"dev.biodev.hash":"h1"}}})");
  auto info = f.client.inspect_image("biodev/app:1");
  REQUIRE(info.has_value());
  CHECK(info->id == "sha256:abc");
  CHECK(info->tags == std::vector<std::string>{"biodev/app:1"});
  CHECK(info->labels.at("dev.biodev.hash") == "h1");
  CHECK(info->size == 1234);

  f.fake->reply(500, R"({"message":"boom"})");
  CHECK(kind_of([&] { f.client.inspect_image("x"); }) == ErrorKind::kServer);
}

TEST_CASE("container calls: 304 is success, errors carry kind and engine text") {
  Fixture f;
  f.fake->reply(304).reply(304).reply(204);
  f.client.start_container("db");
  f.client.stop_container("db", 10);
  CHECK(f.fake->last().target == "/v1.41/containers/db/stop?t=10");
  CHECK(f.fake->last().timeout == std::chrono::seconds(40));
  f.client.remove_container("db", true, true);
  CHECK(f.fake->last().method == "DELETE");
  CHECK(f.fake->last().target == "/v1.41/containers/db?force=1&v=1");

  std::string message;
  f.fake->reply(500,
                R"({"message":"driver failed programming external connectivity on endpoint db )"
                R"((abc): Bind for 0.0.0.0:5432 failed: port is already allocated"})");
  CHECK(kind_of([&] { f.client.start_container("db"); }, &message) == ErrorKind::kPortAllocated);
  CHECK(port_from_message(message) == "0.0.0.0:5432");
  CHECK(message.rfind("start container db: driver failed", 0) == 0);

  f.fake->reply(409, R"({"message":"Conflict. The container name \"/db\" is already in use"})");
  CHECK(kind_of([&] { f.client.create_container("db", json::object()); }, &message) ==
        ErrorKind::kConflict);
  CHECK(message == "create container db: Conflict. The container name \"/db\" is already in use");

  f.fake->reply(201, R"({"Id":"e90e34656806","Warnings":[]})");
  CHECK(f.client.create_container("db", json{{"Image", "postgres:16"}}) == "e90e34656806");
  CHECK(f.fake->last().target == "/v1.41/containers/create?name=db");
  CHECK(json::parse(f.fake->last().body) == json{{"Image", "postgres:16"}});

  f.fake->reply(404, "page not found");  // not JSON: the raw text is the message
  CHECK(kind_of([&] { f.client.inspect_container("nope"); }, &message) == ErrorKind::kNotFound);
  CHECK(message == "inspect container nope: page not found");
}

TEST_CASE("wait_container is a long poll") {
  Fixture f;
  f.fake->reply(200, R"({"StatusCode":3,"Error":null})");
  CHECK(f.client.wait_container("job") == 3);
  CHECK(f.fake->last().target == "/v1.41/containers/job/wait?condition=not-running");
  CHECK(f.fake->last().timeout.count() == 0);
}

TEST_CASE("logs: frames demultiplexed across chunk splits; TTY output is raw") {
  Fixture f;
  std::string body = frame(1, "ready\n") + frame(2, "warn\n") + frame(1, "done\n");
  f.fake->reply_chunks({body.substr(0, 3), body.substr(3, 12), body.substr(15)});
  std::string out, err;
  auto collect = [&](StreamId s, std::string_view p) {
    (s == StreamId::kStderr ? err : out).append(p);
  };
  f.client.logs("db", LogOptions{.follow = true, .timestamps = false, .tail = 50}, false, collect);
  CHECK(out == "ready\ndone\n");
  CHECK(err == "warn\n");
  CHECK(f.fake->last().target == "/v1.41/containers/db/logs?stdout=1&stderr=1&follow=1&tail=50");
  CHECK(f.fake->last().timeout.count() == 0);

  out.clear();
  f.fake->reply_chunks({"\x1b[1mraw ", "tty\r\n"});
  f.client.logs("term", LogOptions{}, true, collect);
  CHECK(out == "\x1b[1mraw tty\r\n");
  CHECK(f.fake->last().target == "/v1.41/containers/term/logs?stdout=1&stderr=1&tail=all");
  CHECK(f.fake->last().timeout == std::chrono::seconds(30));

  f.fake->reply_chunks({body.substr(0, 10)});  // cut inside a frame
  CHECK(kind_of([&] { f.client.logs("db", LogOptions{}, false, collect); }) ==
        ErrorKind::kProtocol);
}

TEST_CASE("build_image: tar context streamed from a file, aux ID returned") {
  Fixture f;
  f.fake->reply_chunks({
      "{\"stream\":\"Step 1/2 : FROM scratch\\n\"}\r\n{\"stream\":\" ---\\u003e \\n\"}\r\n",
      "{\"aux\":{\"ID\":\"sha256:45cfd51a0298\"}}\r\n{\"stream\":\"Successfully built "
      "45cfd51a0298\\n\"}\r\n",
  });
  int lines = 0;
  BuildOptions options;
  options.labels = {{"dev.biodev.hash", "h1"}};
  std::string id = f.client.build_image(
      "/tmp/ctx.tar", "biodev/app:1", [&](const BuildOutput&) { ++lines; }, options);
  CHECK(id == "sha256:45cfd51a0298");
  CHECK(lines == 3);  // the aux line is the client's, not progress
  const HttpRequest& req = f.fake->last();
  CHECK(req.method == "POST");
  CHECK(req.target ==
        "/v1.41/build?t=biodev%2Fapp%3A1&rm=1&forcerm=1&labels="
        "%7B%22dev.biodev.hash%22%3A%22h1%22%7D");
  CHECK(req.body_file == "/tmp/ctx.tar");
  CHECK(req.body.empty());
  CHECK(req.content_type == "application/x-tar");

  f.fake->reply_chunks({
      "{\"stream\":\"Step 1/2 : FROM scratch\\n\"}\r\n",
      "{\"errorDetail\":{\"message\":\"COPY failed: file not found in build context\"},"
      "\"error\":\"COPY failed: file not found in build context\"}\r\n",
  });
  std::string message;
  CHECK(kind_of([&] { f.client.build_image("/tmp/ctx.tar", "biodev/app:1", {}); }, &message) ==
        ErrorKind::kBuildFailed);
  CHECK(message == "build biodev/app:1: COPY failed: file not found in build context");

  // No aux line: the id comes from inspecting the tag.
  f.fake->reply_chunks({"{\"stream\":\"Successfully built 45cf\\n\"}\n"});
  f.fake->reply(200, R"({"Id":"sha256:45cf"})");
  CHECK(f.client.build_image("/tmp/ctx.tar", "biodev/app:1", {}) == "sha256:45cf");
  CHECK(f.fake->last().target == "/v1.41/images/biodev/app:1/json");
}

TEST_CASE("build_image: what RUN steps get goes as the engine's own query parameters") {
  Fixture f;
  f.fake->reply_chunks({"{\"aux\":{\"ID\":\"sha256:1\"}}\r\n"});
  BuildOptions o;
  o.network_mode = "host";
  o.extra_hosts = {"mirror:10.0.0.5", "cache:10.0.0.6"};
  o.shm_size = 268435456;
  o.ulimits = {{"nofile", 1024, 2048}};
  o.no_cache = true;
  f.client.build_image("/tmp/ctx.tar", "app:1", {}, o);
  CHECK(f.fake->last().target ==
        "/v1.41/build?t=app%3A1&rm=1&forcerm=1&networkmode=host&extrahosts=mirror%3A10.0.0.5"
        "&extrahosts=cache%3A10.0.0.6&shmsize=268435456"
        "&ulimits=%5B%7B%22Hard%22%3A2048%2C%22Name%22%3A%22nofile%22%2C%22Soft%22%3A1024%7D%5D&nocache=1");
}

TEST_CASE("exec: create, attach with stdin, demultiplex, exit code") {
  Fixture f;
  f.fake->reply(201, R"({"Id":"ex1"})");
  f.fake->replies.push_back(
      {101, frame(1, "hello ") + frame(2, "warning\n") + frame(1, "world\n")});
  f.fake->reply(200, R"({"Running":false,"ExitCode":7})");
  ExecResult r = f.client.exec("db", {"psql", "-f", "-"}, {"PGUSER=app"}, std::string("SELECT 1;"));
  CHECK(r.exit_code == 7);
  CHECK(r.out == "hello world\n");
  CHECK(r.err == "warning\n");

  REQUIRE(f.fake->requests.size() == 3);
  CHECK(f.fake->requests[0].target == "/v1.41/containers/db/exec");
  json create = json::parse(f.fake->requests[0].body);
  CHECK(create["AttachStdin"] == true);
  CHECK(create["AttachStdout"] == true);
  CHECK(create["AttachStderr"] == true);
  CHECK(create["Tty"] == false);
  CHECK(create["Cmd"] == json::array({"psql", "-f", "-"}));
  CHECK(create["Env"] == json::array({"PGUSER=app"}));
  CHECK_FALSE(create.contains("User"));
  CHECK(f.fake->requests[1].target == "/v1.41/exec/ex1/start");
  CHECK(json::parse(f.fake->requests[1].body) == json{{"Detach", false}, {"Tty", false}});
  CHECK(f.fake->requests[2].target == "/v1.41/exec/ex1/json");
  CHECK(f.fake->raw->written == "SELECT 1;");
  CHECK(f.fake->raw->write_closed);

  f.fake->reply(404, R"({"message":"No such container: gone"})");
  CHECK(kind_of([&] { f.client.exec("gone", {"true"}); }) == ErrorKind::kNotFound);
}

TEST_CASE("events: JSON lines until the sink says stop") {
  Fixture f;
  f.fake->reply_chunks(
      {"{\"Type\":\"container\",\"Action\":\"start\"}\n{\"Type\":\"cont",
       "ainer\",\"Action\":\"die\"}\n{\"Type\":\"container\",\"Action\":\"destroy\"}\n"});
  std::vector<std::string> actions;
  f.client.events({{"label", {"dev.biodev.project=x"}}}, [&](const json& e) {
    actions.push_back(e["Action"]);
    return e["Action"] != "die";
  });
  CHECK(actions == std::vector<std::string>{"start", "die"});
  CHECK(f.fake->last().timeout.count() == 0);
  CHECK(f.fake->last().target.rfind("/v1.41/events?filters=%7B%22label%22", 0) == 0);
}

TEST_CASE("networks and volumes") {
  Fixture f;
  f.fake->reply(201, R"({"Id":"net1","Warning":""})");
  CHECK(f.client.create_network("biodev-x", {{"Labels", {{"a", "b"}}}}) == "net1");
  json body = json::parse(f.fake->last().body);
  CHECK(body["Name"] == "biodev-x");
  CHECK(body["CheckDuplicate"] == true);
  CHECK(body["Labels"]["a"] == "b");

  f.fake->reply(200);
  f.client.connect_network("biodev-x", "db", {"db", "postgres"});
  CHECK(f.fake->last().target == "/v1.41/networks/biodev-x/connect");
  CHECK(json::parse(f.fake->last().body) ==
        json{{"Container", "db"}, {"EndpointConfig", {{"Aliases", {"db", "postgres"}}}}});

  f.fake->reply(200, R"({"Name":"biodev-x","Id":"net1","Labels":{},"Containers":
                         {"c1":{"Name":"db"},"c2":{"Name":"api"}}})");
  NetworkSummary n = f.client.inspect_network("biodev-x");
  REQUIRE(n.endpoints.size() == 2);
  CHECK((n.endpoints[0].key == "c1" && n.endpoints[0].name == "db"));
  CHECK((n.endpoints[1].key == "c2" && n.endpoints[1].name == "api"));

  f.fake->reply(201, R"({"Name":"pgdata"})");
  f.client.create_volume("pgdata", {{"dev.biodev.project", "x"}});
  CHECK(json::parse(f.fake->last().body) ==
        json{{"Name", "pgdata"}, {"Labels", {{"dev.biodev.project", "x"}}}});
  f.fake->reply(409, R"({"message":"remove pgdata: volume is in use - [c1]"})");
  CHECK(kind_of([&] { f.client.remove_volume("pgdata"); }) == ErrorKind::kConflict);
}

TEST_CASE("remove_network_when_free: frees endpoints of gone containers, waits out busy ones, names live ones") {
  const char* busy = R"({"message":"error while removing network: network n id net1 has active endpoints"})";
  SUBCASE("an endpoint whose container is gone is disconnected, then the network goes") {
    Fixture f;
    f.fake->reply(403, busy);
    // After an engine restart the key is the endpoint's ("ep-..."); its Name is the
    // container's, which is what the engine looks a gone container's endpoint up by.
    f.fake->reply(200, R"({"Name":"n","Id":"net1","Containers":{"ep-4f1c":{"Name":"shop-web"}}})");
    f.fake->reply(404, R"({"message":"No such container: ep-4f1c"})");
    f.fake->reply(200);  // disconnect
    f.fake->reply(204);  // remove
    CHECK(remove_network_when_free(f.client, "net1", std::chrono::milliseconds(0)));
    const auto& disconnect = f.fake->requests[3];
    CHECK(disconnect.method == "POST");
    CHECK(disconnect.target == "/v1.41/networks/net1/disconnect");
    CHECK(json::parse(disconnect.body) == json{{"Container", "shop-web"}, {"Force", true}});
    CHECK(f.fake->requests.back().method == "DELETE");
  }
  SUBCASE("no endpoints listed any more: tried again until the engine lets go") {
    Fixture f;
    f.fake->reply(500, busy);
    f.fake->reply(200, R"({"Name":"n","Id":"net1","Containers":{}})");
    f.fake->reply(204);
    CHECK(remove_network_when_free(f.client, "net1", std::chrono::seconds(5)));
    CHECK(f.fake->requests.size() == 3);
  }
  SUBCASE("the engine counts endpoints it no longer lists: NetworkKeptByEngine, within two seconds") {
    Fixture f;
    for (int i = 0; i < 400; ++i) {  // the 20 ms waits of two seconds, with room to spare
      f.fake->reply(403, busy);
      f.fake->reply(200, R"({"Name":"p_bio_data","Id":"net1","Containers":{}})");
    }
    auto t0 = std::chrono::steady_clock::now();
    std::string network, message;
    try {
      remove_network_when_free(f.client, "net1", std::chrono::seconds(30));
    } catch (const NetworkKeptByEngine& e) {
      network = e.network();
      message = e.what();
    }
    auto waited = std::chrono::steady_clock::now() - t0;
    CHECK(network == "p_bio_data");
    CHECK(message ==
          "network p_bio_data is kept by the engine: no container uses it, yet the engine refuses to remove it "
          "(it lists no endpoint; moby#42119); restarting the engine releases it");
    CHECK(waited >= std::chrono::milliseconds(2000));
    CHECK(waited < std::chrono::seconds(5));
  }
  SUBCASE("an endpoint of a gone container that will not disconnect: kept by the engine, said so") {
    Fixture f;
    for (int i = 0; i < 40; ++i) {
      f.fake->reply(403, busy);
      f.fake->reply(200, R"({"Name":"n","Id":"net1","Containers":{"ep-4f1c":{"Name":"shop-web"}}})");
      f.fake->reply(404, R"({"message":"No such container: ep-4f1c"})");
      f.fake->reply(500, R"({"message":"endpoint shop-web not found"})");
    }
    std::string message;
    try {
      remove_network_when_free(f.client, "net1", std::chrono::milliseconds(0));
    } catch (const NetworkKeptByEngine& e) {
      message = e.what();
    }
    CHECK(message.find("(1 endpoint(s) of containers that are gone would not disconnect; moby#42119)") !=
          std::string::npos);
  }
  SUBCASE("a container that exists keeps it: the error names it and its state") {
    Fixture f;
    f.fake->reply(403, busy);
    f.fake->reply(200, R"({"Name":"n","Id":"net1","Containers":{"c1":{}}})");
    f.fake->reply(200, R"({"Name":"/someone-else","State":{"Status":"running"}})");
    std::string message;
    CHECK(kind_of([&] { remove_network_when_free(f.client, "net1", std::chrono::milliseconds(0)); }, &message) ==
          ErrorKind::kConflict);
    CHECK(message.find("network n is still used by container someone-else (running)") != std::string::npos);
  }
  SUBCASE("already gone: false, no error") {
    Fixture f;
    f.fake->reply(404, R"({"message":"network net1 not found"})");
    CHECK_FALSE(remove_network_when_free(f.client, "net1"));
  }
}
