// Golden tests for the container and network create bodies: every compose-level field
// reaches the engine as docker compose sends it, and only when set, so that a profile
// that does not use them keeps its config hashes (no recreate after an upgrade).
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "plan/desired.h"
#include "plan/engine_names.h"
#include "plan/file_grants.h"
#include "plan/in_place_restart.h"
#include "fake_transport.h"
#include "plan_profiles.h"
#include "util/error.h"

using namespace biodev;
using namespace biodev::plan;

namespace {

profile::Profile stack() { return plan_profile("stack.yaml"); }

profile::Service& svc(profile::Profile& p, const std::string& name) {
  for (auto& s : p.services)
    if (s.name == name) return s;
  throw std::runtime_error("no service " + name);
}

const DesiredContainer& container(const DesiredState& d, const std::string& service) {
  const DesiredContainer* c = d.find(service);
  REQUIRE(c);
  return *c;
}

}  // namespace

TEST_CASE("an unchanged profile keeps the config hashes it had before compose fields existed") {
  DesiredState d = desired_state(stack(), {});
  std::string got;
  for (const auto& c : d.containers) got += c.service + "=" + c.config_hash + " ";
  // Pinned from the planner before the compose fields were added.
  CHECK(got == "postgres=207fbe4396d6838c migrate=3dc23934ace04e51 redis=12cfc5f3d2ca00f6 api=43325762acc97b0c gateway=e4a8dd973d42f2e1 ");
}

TEST_CASE("compose HostConfig and Config fields reach the create body as compose sends them") {
  profile::Profile p = stack();
  profile::Service& s = svc(p, "redis");
  s.cap_add = {"NET_ADMIN"};
  s.cap_drop = {"ALL"};
  s.privileged = true;
  s.read_only_rootfs = true;
  s.shm_size = 64 << 20;
  s.ulimits = {{"nofile", 1024, 2048}};
  s.sysctls = {{"net.core.somaxconn", "1024"}};
  s.extra_hosts = {"db.local=10.0.0.2", "host.docker.internal:host-gateway"};
  s.security_opt = {"no-new-privileges:true"};
  s.dns = {"10.0.0.53"};
  s.group_add = {"audio"};
  s.device_requests = {{"nvidia", -1, {}, {"gpu"}, {}}};
  s.devices = {"/dev/fuse", "/dev/sda:/dev/xvda:r"};
  s.ipc = "shareable";
  s.pid = "host";
  s.resources.memory_reservation_bytes = 1 << 20;
  s.resources.pids_limit = 100;
  s.restart = "on-failure";
  s.restart_max_retries = 3;
  s.hostname = "cache.local";
  s.stop_signal = "SIGINT";
  s.tty = true;
  s.stdin_open = true;
  s.expose = {"7000", "7001-7002/udp"};
  s.container_name = "my-redis";
  s.healthcheck = profile::Healthcheck{{"CMD", "redis-cli", "ping"}, 1000, 500, 2000, 100, 3};
  DesiredState d = desired_state(p, {});
  const DesiredContainer& c = container(d, "redis");
  const json b = docker::create_body(c.spec);
  const json& hc = b["HostConfig"];
  CHECK(c.name == "my-redis");
  CHECK(hc["CapAdd"] == json{"NET_ADMIN"});
  CHECK(hc["CapDrop"] == json{"ALL"});
  CHECK(hc["Privileged"] == true);
  CHECK(hc["ReadonlyRootfs"] == true);
  CHECK(hc["ShmSize"] == 64 << 20);
  CHECK(hc["Ulimits"] == json::parse(R"([{"Name":"nofile","Soft":1024,"Hard":2048}])"));
  CHECK(hc["Sysctls"] == json{{"net.core.somaxconn", "1024"}});
  CHECK(hc["ExtraHosts"] == json{"db.local:10.0.0.2", "host.docker.internal:host-gateway"});
  CHECK(hc["SecurityOpt"] == json{"no-new-privileges:true"});
  CHECK(hc["Dns"] == json{"10.0.0.53"});
  CHECK(hc["GroupAdd"] == json{"audio"});
  CHECK(hc["DeviceRequests"] == json::parse(R"([{"Driver":"nvidia","Count":-1,"Capabilities":[["gpu"]]}])"));
  CHECK(hc["Devices"] == json::parse(R"([
      {"PathOnHost":"/dev/fuse","PathInContainer":"/dev/fuse","CgroupPermissions":"rwm"},
      {"PathOnHost":"/dev/sda","PathInContainer":"/dev/xvda","CgroupPermissions":"r"}])"));
  CHECK(hc["IpcMode"] == "shareable");
  CHECK(hc["PidMode"] == "host");
  CHECK(hc["MemoryReservation"] == 1 << 20);
  CHECK(hc["PidsLimit"] == 100);
  CHECK(hc["RestartPolicy"] == json{{"Name", "on-failure"}, {"MaximumRetryCount", 3}});
  CHECK(b["Hostname"] == "cache.local");
  CHECK(b["StopSignal"] == "SIGINT");
  CHECK(b["Tty"] == true);
  CHECK(b["OpenStdin"] == true);
  CHECK(b["ExposedPorts"] == json::parse(R"({"7000/tcp":{},"7001/udp":{},"7002/udp":{}})"));
  CHECK(b["Healthcheck"] == json::parse(R"({"Test":["CMD","redis-cli","ping"],"Interval":1000000000,
      "Timeout":500000000,"StartPeriod":2000000000,"StartInterval":100000000,"Retries":3})"));
}

TEST_CASE("a disabled healthcheck sends only Test NONE") {
  profile::Profile p = stack();
  svc(p, "redis").healthcheck = profile::Healthcheck{{"NONE"}};
  CHECK(docker::create_body(container(desired_state(p, {}), "redis").spec)["Healthcheck"] == json{{"Test", {"NONE"}}});
}

TEST_CASE("network_mode: service:x joins x's container, after x starts, with no networks of its own") {
  profile::Profile p = stack();
  svc(p, "redis").network_mode = "service:postgres";
  svc(p, "postgres").container_name = "pg";
  svc(p, "api").network_mode = "host";
  DesiredState d = desired_state(p, {});
  const json redis = docker::create_body(container(d, "redis").spec);
  CHECK(redis["HostConfig"]["NetworkMode"] == "container:pg");
  CHECK_FALSE(redis.contains("NetworkingConfig"));
  CHECK_FALSE(redis.contains("Hostname"));
  CHECK(container(d, "redis").depends_started == std::vector<std::string>{"postgres"});
  const DesiredContainer& api = container(d, "api");
  CHECK(docker::create_body(api.spec)["HostConfig"]["NetworkMode"] == "host");
  CHECK(api.extra_networks.empty());
}

TEST_CASE("networks and volumes: external ones are required, not made; name:, driver and labels are sent") {
  profile::Profile p = stack();
  p.networks[0].external = true;  // front
  p.networks[1].engine_name = "shared-data";
  p.networks[1].driver_opts = {{"com.docker.network.bridge.name", "br-data"}};
  p.networks[1].labels = {{"team", "db"}};
  p.networks[1].attachable = true;
  p.volumes[0].external = true;
  p.volumes[0].engine_name = "pg-prod-copy";
  DesiredState d = desired_state(p, {});
  REQUIRE(d.networks.size() == 1);
  CHECK(d.networks[0].full_name == "shared-data");
  CHECK(docker::create_body(d.networks[0].spec)["Options"] == json{{"com.docker.network.bridge.name", "br-data"}});
  CHECK(docker::create_body(d.networks[0].spec)["Labels"]["team"] == "db");
  CHECK(docker::create_body(d.networks[0].spec)["Labels"]["dev.biodev.project"] == "p");
  CHECK(docker::create_body(d.networks[0].spec)["Attachable"] == true);
  CHECK(d.volumes.empty());
  const json pg = docker::create_body(container(d, "postgres").spec);
  CHECK(pg["HostConfig"]["Mounts"][0]["Source"] == "pg-prod-copy");
  CHECK(pg["HostConfig"]["NetworkMode"] == "shared-data");
  CHECK(docker::create_body(container(d, "gateway").spec)["HostConfig"]["NetworkMode"] == "front");
}

TEST_CASE("secrets and configs are read-only bind mounts of biodev's copies; inline values are hashed") {
  profile::Profile p = stack();
  p.secrets_defs = {{"db_password", profile::FileSource::Kind::kContent, "", "", "s3cret", true, {}}};
  p.configs_defs = {{"app_conf", profile::FileSource::Kind::kFile, "/etc/hostname", "", "", false, {}}};
  profile::Service& s = svc(p, "api");
  s.secrets = {{"db_password", "", "", "", -1, {}}};
  s.configs = {{"app_conf", "/etc/app.conf", "", "", -1, {}}};
  DesiredState d = desired_state(p, {});
  const json mounts = docker::create_body(container(d, "api").spec)["HostConfig"]["Mounts"];
  REQUIRE(mounts.size() == 2);
  CHECK(mounts[0] == json{{"Type", "bind"}, {"Source", grants_dir("p") + "/secrets/api-db_password"},
                          {"Target", "/run/secrets/db_password"}, {"ReadOnly", true}});
  CHECK(mounts[1]["Target"] == "/etc/app.conf");
  std::string before = container(d, "api").config_hash;
  p.secrets_defs[0].content = "other";
  CHECK(container(desired_state(p, {}), "api").config_hash != before);
}

TEST_CASE("a missing external network or volume is one error naming each") {
  profile::Profile p = stack();
  p.networks[0].external = true;                    // front: present
  p.networks[1].external = true;                    // data: missing
  p.networks[1].engine_name = "shared";
  p.volumes[0].external = true;                     // pgdata: missing
  auto t = std::make_shared<docker::testing::FakeTransport>();
  t->reply(200, R"({"Id":"n1","Name":"front"})")
      .reply(404, R"({"message":"network shared not found"})")
      .reply(404, R"({"message":"get pgdata: no such volume"})");
  docker::Client client(t);
  try {
    check_external(client, p);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::kFailed);
    CHECK(std::string(e.what()) ==
          "network shared is declared external but does not exist: create it first (docker network create shared)\n"
          "volume pgdata is declared external but does not exist: create it first (docker volume create pgdata)");
  }
  CHECK(t->requests[0].target == "/v1.41/networks/front");
  CHECK(t->requests[1].target == "/v1.41/networks/shared");
  CHECK(t->requests[2].target == "/v1.41/volumes/pgdata");
  CHECK_NOTHROW(check_external(client, stack()));  // no external objects: no call
  CHECK(t->requests.size() == 3);
}

TEST_CASE("grant files are written once, secrets readable only by the service's user") {
  profile::Profile p = stack();
  p.project = "bld-unit-" + std::to_string(::getpid());
  p.secrets_defs = {{"token", profile::FileSource::Kind::kContent, "", "", "s3cret", true, {}}};
  p.configs_defs = {{"conf", profile::FileSource::Kind::kContent, "", "", "a=1\n", false, {}}};
  profile::Service& s = svc(p, "api");
  s.user = std::to_string(::geteuid());
  s.secrets = {{"token", "", "", "", -1, {}}};
  s.configs = {{"conf", "/etc/app.conf", "", "", -1, {}}};
  materialize_grants(p, {}, nullptr);
  std::string dir = grants_dir(p.project);
  struct stat secret {}, config {}, folder {};
  REQUIRE(::stat((dir + "/secrets/api-token").c_str(), &secret) == 0);
  REQUIRE(::stat((dir + "/configs/api-conf").c_str(), &config) == 0);
  REQUIRE(::stat(dir.c_str(), &folder) == 0);
  CHECK((secret.st_mode & 07777) == 0400);
  CHECK(secret.st_uid == ::geteuid());
  CHECK((config.st_mode & 07777) == 0444);
  CHECK((folder.st_mode & 07777) == 0700);
  std::ifstream in(dir + "/secrets/api-token");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(text == "s3cret");
  // Unchanged bytes and owner: the file (and the inode a container mounts) is left alone.
  struct stat again {};
  materialize_grants(p, {}, nullptr);
  REQUIRE(::stat((dir + "/secrets/api-token").c_str(), &again) == 0);
  CHECK(again.st_ino == secret.st_ino);
  CHECK(again.st_mtime == secret.st_mtime);
  std::filesystem::remove_all(dir);
}

TEST_CASE("an anonymous volume is a volume of the project, mounted like a named one, with a stable hash") {
  DesiredState d = desired_state(plan_compose("compose.anonymous.yaml"), {});
  std::string volumes;
  for (const auto& v : d.volumes) volumes += v.name + "=" + v.full_name + " ";
  CHECK(volumes == "pgdata=p_pgdata web_anon_ad806e3f6c69=p_web_anon_ad806e3f6c69 "
                   "web_anon_4f7cfe6fcd42=p_web_anon_4f7cfe6fcd42 ");
  const DesiredContainer& web = container(d, "web");
  CHECK(docker::create_body(web.spec)["HostConfig"]["Mounts"] ==
        json::array({{{"Target", "/app/node_modules"}, {"ReadOnly", false}, {"Type", "volume"},
                      {"Source", "p_web_anon_ad806e3f6c69"}},
                     {{"Target", "/cache"}, {"ReadOnly", true}, {"Type", "volume"},
                      {"Source", "p_web_anon_4f7cfe6fcd42"}}}));
  // The same file gives the same hash on every load: a warm up recreates nothing.
  CHECK(web.config_hash == "d169310ab31eb80d");
  CHECK(container(desired_state(plan_compose("compose.anonymous.yaml"), {}), "web").config_hash == web.config_hash);
}

TEST_CASE("a watched service restarted in place runs under biodev-init, mounted read-only, when the engine is here") {
  profile::Profile p = stack();
  profile::Service& s = svc(p, "api");
  s.watch = {"/src"};
  s.command = {"python3", "app.py"};
  DesiredOptions o;
  o.images["api"] = ImageChoice{"app:1", "sha256:1", "upstream", {"/entry.sh"}, {"serve"}, true};
  DesiredState away = desired_state(p, o);  // an engine elsewhere: as the profile says
  CHECK(docker::create_body(container(away, "api").spec)["Cmd"] == json{"python3", "app.py"});
  CHECK_FALSE(container(away, "api").spec.labels.count("dev.biodev.in-place-restart"));

  o.in_place_restart = true;
  DesiredState d = desired_state(p, o);
  const DesiredContainer& c = container(d, "api");
  const json b = docker::create_body(c.spec);
  CHECK(b["Entrypoint"] == json{"/.biodev-init", "--service", "api", "--grace", "2", "--", "/entry.sh", "python3", "app.py"});
  CHECK_FALSE(b.contains("Cmd"));
  CHECK(b["HostConfig"]["Mounts"].back() == json{{"Type", "bind"}, {"Source", init_host_path()},
                                                 {"Target", "/.biodev-init"}, {"ReadOnly", true}});
  CHECK(init_host_path().starts_with("/tmp/biodev-init-" + std::to_string(geteuid()) + "/biodev-init-"));
  CHECK(c.spec.labels.at("dev.biodev.in-place-restart") == "true");
  CHECK(c.config_hash != container(away, "api").config_hash);
  // The other services are untouched.
  CHECK(container(d, "redis").config_hash == container(away, "redis").config_hash);

  // The image's entrypoint unread: left as it is rather than run without it.
  o.images["api"].commands_known = false;
  CHECK(docker::create_body(container(desired_state(p, o), "api").spec)["Cmd"] == json{"python3", "app.py"});
  o.images["api"].commands_known = true;

  s.watch_restart = profile::Service::WatchRestart::kContainer;
  CHECK(docker::create_body(container(desired_state(p, o), "api").spec)["Cmd"] == json{"python3", "app.py"});
}

TEST_CASE("biodev-init runs what the engine would: the service's entrypoint and command, else the image's") {
  profile::Service s;
  s.name = "x";
  s.stop_grace_s = 5;
  ImageChoice img{"i", "", "upstream", {"/e"}, {"c1"}};
  const std::vector<std::string> head = {"/.biodev-init", "--service", "x", "--grace", "5", "--"};
  auto with = [&](std::vector<std::string> tail) {
    std::vector<std::string> v = head;
    v.insert(v.end(), tail.begin(), tail.end());
    return v;
  };
  CHECK(in_place_entrypoint(s, img) == with({"/e", "c1"}));
  s.command = {"c2"};
  CHECK(in_place_entrypoint(s, img) == with({"/e", "c2"}));
  s.command.clear();
  s.entrypoint = {"/own"};  // an entrypoint of its own drops the image's command
  CHECK(in_place_entrypoint(s, img) == with({"/own"}));
  s.command = {"c3"};
  CHECK(in_place_entrypoint(s, img) == with({"/own", "c3"}));
  CHECK(in_place_restart_command("x") == std::vector<std::string>{"/.biodev-init", "--restart", "x"});
}
