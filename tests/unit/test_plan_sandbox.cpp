// Shared network sandboxes: the grouping (pure, golden text), the create bodies of a
// sandbox and its members, and the plans reconcile() makes for them.
#include <doctest/doctest.h>

#include "plan/desired.h"
#include "plan/labels.h"
#include "plan/reconcile.h"
#include "plan/sandbox.h"
#include "plan_profiles.h"
#include "util/error.h"

using namespace biodev;
using namespace biodev::plan;

namespace {

DesiredOptions shared() {
  DesiredOptions o;
  o.shared_sandbox = true;
  o.sandbox_image = {"biodev/runtime:1", "sha256:rt", "offline"};
  return o;
}

ObservedState converged(const DesiredState& d) {
  ObservedState s;
  for (const auto& n : d.networks) s.networks[n.full_name] = "net-" + n.name;
  for (const auto& v : d.volumes) s.volumes.push_back(v.full_name);
  for (const auto& c : d.containers) {
    ObservedContainer o{"id-" + c.service, c.name, c.service, c.config_hash, "running", "upstream", {}, {}};
    o.sandbox = c.sandbox;
    if (c.is_sandbox) o.labels[labels::kSandboxMembers] = "x";
    s.containers.push_back(o);
  }
  return s;
}

}  // namespace

TEST_CASE("grouping: one namespace per tier, split on a port clash, alone when it needs its own") {
  profile::Profile p = plan_compose("compose.sandbox.yaml");
  SandboxGrouping g = group_sandboxes(p);
  CHECK(g.to_string(p.service_names()) ==
        "sandbox:postgres [data]: postgres, redis\n"
        "sandbox:api [app,data]: api, worker\n"
        "sandbox:admin [app,data]: admin, metrics\n"
        "cache: own sandbox (hostname: cache.local)\n"
        "proxy: own sandbox (another service joins its network namespace (network_mode: service:proxy))\n"
        "sidecar: own sandbox (network_mode: service:proxy)\n"
        "resolver: own sandbox (dns: is set)\n");
}

TEST_CASE("grouping: a service alone on its networks, or crowded out of every group, keeps its sandbox") {
  profile::Profile p = plan_profile("stack.yaml");
  CHECK(group_sandboxes(p).to_string(p.service_names()) ==
        "sandbox:postgres [data]: postgres, migrate, redis\n"
        "api: own sandbox (no other service is on exactly its networks)\n"
        "gateway: own sandbox (no other service is on exactly its networks)\n");

  profile::Profile q = plan_compose("compose.sandbox.yaml");
  q.services.erase(std::remove_if(q.services.begin(), q.services.end(),
                                  [](const profile::Service& s) { return s.name == "metrics"; }),
                   q.services.end());
  CHECK(group_sandboxes(q).to_string(q.service_names()).find(
            "admin: own sandbox (its container ports are taken in every group of its networks)") != std::string::npos);
}

TEST_CASE("container ports: published, exposed (ranges) and the readiness probe's, once each") {
  profile::Service s;
  s.ports.push_back({"127.0.0.1", 0, 8000, "tcp", {}});
  s.expose = {"9000-9002/udp", "8000"};
  s.ready.kind = profile::ProbeSpec::Kind::kHttp;
  s.ready.port = 8001;
  CHECK(container_ports(s) == std::vector<std::string>{"8000/tcp", "8001/tcp", "9000/udp", "9001/udp", "9002/udp"});
}

TEST_CASE("the sandbox holds the group's ports and names; members join it with none of their own") {
  profile::Profile p = plan_compose("compose.sandbox.yaml");
  DesiredState d = desired_state(p, shared());
  REQUIRE(d.containers.size() == p.services.size() + 3);
  const DesiredContainer* sb = d.find("sandbox:api");
  REQUIRE(sb);
  CHECK(sb->is_sandbox);
  CHECK(sb->name == "p-sandbox-api");
  const json body = docker::create_body(sb->spec);
  CHECK(body["Image"] == "biodev/runtime:1");
  CHECK(body["Cmd"] == json::array({"serve", "sandbox"}));
  CHECK(body["HostConfig"]["NetworkMode"] == "p_app");
  CHECK(body["HostConfig"]["PortBindings"].dump() == R"({"8000/tcp":[{"HostIp":"127.0.0.1","HostPort":""}]})");
  CHECK(body["ExposedPorts"].dump() == R"({"8000/tcp":{},"9100/tcp":{}})");
  CHECK(body["NetworkingConfig"]["EndpointsConfig"]["p_app"]["Aliases"] ==
        json::array({"api", "api.internal", "worker"}));
  REQUIRE(sb->extra_networks.size() == 1);
  CHECK(sb->extra_networks[0].first == "p_data");
  CHECK(sb->extra_networks[0].second == std::vector<std::string>{"api", "worker"});
  CHECK(body["Labels"][labels::kSandboxMembers] == "api,worker");

  const DesiredContainer* api = d.find("api");
  REQUIRE(api);
  CHECK(api->sandbox == "sandbox:api");
  CHECK(docker::create_body(api->spec)["HostConfig"]["NetworkMode"] == "container:p-sandbox-api");
  CHECK_FALSE(docker::create_body(api->spec).contains("Hostname"));
  CHECK_FALSE(docker::create_body(api->spec).contains("ExposedPorts"));
  CHECK_FALSE(docker::create_body(api->spec).contains("NetworkingConfig"));
  CHECK_FALSE(docker::create_body(api->spec)["HostConfig"].contains("PortBindings"));
  CHECK(api->extra_networks.empty());
  CHECK(docker::create_body(api->spec)["Labels"][labels::kSandbox] == "sandbox:api");
  CHECK(docker::create_body(api->spec)["Labels"][labels::kSandboxPorts] == "8000/tcp");
  CHECK(api->depends_started == std::vector<std::string>{"sandbox:api"});

  // A service that needs a namespace of its own keeps its body as without sandboxes.
  DesiredState separate = desired_state(p, DesiredOptions{});
  CHECK(docker::create_body(d.find("cache")->spec) == docker::create_body(separate.find("cache")->spec));
  CHECK(d.find("cache")->config_hash == separate.find("cache")->config_hash);
  CHECK(d.find("api")->config_hash != separate.find("api")->config_hash);
}

TEST_CASE("a changed sandbox changes its members' config hashes; `up SERVICE` makes the same sandbox") {
  profile::Profile p = plan_compose("compose.sandbox.yaml");
  DesiredState d = desired_state(p, shared());
  DesiredOptions o = shared();
  o.sandbox_image.id = "sha256:rt2";
  DesiredState d2 = desired_state(p, o);
  CHECK(d.find("sandbox:api")->config_hash != d2.find("sandbox:api")->config_hash);
  CHECK(d.find("api")->config_hash != d2.find("api")->config_hash);
  CHECK(d.find("cache")->config_hash == d2.find("cache")->config_hash);

  DesiredOptions only = shared();
  only.services = {"api"};
  DesiredState part = desired_state(p, only);
  CHECK(part.find("sandbox:api")->config_hash == d.find("sandbox:api")->config_hash);
  CHECK(part.find("api")->config_hash == d.find("api")->config_hash);
  CHECK_FALSE(part.find("sandbox:postgres"));
}

TEST_CASE("a service named like a sandbox is refused, naming both") {
  profile::Profile p = plan_compose("compose.sandbox.yaml");
  profile::Service clash = *p.find("cache");
  clash.name = "sandbox-postgres";
  p.services.push_back(clash);
  CHECK_THROWS_WITH_AS(desired_state(p, shared()),
                       doctest::Contains("service sandbox-postgres: its container name p-sandbox-postgres"), UsageError);
}

// Members are created once their sandbox is (Podman resolves container:<name> at
// create; Docker at start) and started after it.
TEST_CASE("cold up in shared sandboxes: members created after their sandbox, started in it") {
  DesiredState d = desired_state(plan_profile("stack.yaml"), shared());
  Plan p = reconcile_up(d, ObservedState{}, UpOptions{});
  CHECK(p.to_string() ==
        "1 create-network front (new)\n"
        "2 create-network data (new)\n"
        "3 create-volume pgdata (new)\n"
        "4 create sandbox:postgres (new) after 2\n"
        "5 create postgres (new) after 3,4\n"
        "6 create migrate (new) after 4\n"
        "7 create redis (new) after 4\n"
        "8 create api (new) after 1\n"
        "9 connect api after 2,8\n"
        "10 create gateway (new) after 1\n"
        "11 start sandbox:postgres (new) after 4\n"
        "12 start postgres (new) after 5,11\n"
        "13 await-ready postgres after 12\n"
        "14 seed postgres after 13\n"
        "15 start migrate (new) after 6,11,14\n"
        "16 await-completed migrate after 15\n"
        "17 start redis (new) after 7,11,12\n"
        "18 await-ready redis after 17\n"
        "19 start api (new) after 8,9,16,18\n"
        "20 await-ready api after 19\n"
        "21 start gateway (new) after 10,19\n"
        "22 await-ready gateway after 21\n");
}

TEST_CASE("a sandbox that starts anew takes its running members with it") {
  DesiredState d = desired_state(plan_profile("stack.yaml"), shared());
  SUBCASE("warm: nothing changes") {
    CHECK(reconcile_up(d, converged(d), UpOptions{}).changes_nothing());
  }
  SUBCASE("the sandbox stopped: started, and its running members recreated in it") {
    ObservedState s = converged(d);
    for (auto& c : s.containers)
      if (c.service == "sandbox:postgres") c.state = "exited";
      else if (c.service == "migrate") c.state = "exited";
    Plan p = reconcile_up(d, s, UpOptions{.seed = false});
    CHECK(p.to_string() ==
          "1 stop postgres (sandbox recreated)\n"
          "2 remove postgres (sandbox recreated) after 1\n"
          "3 create postgres (recreate) after 2\n"
          "4 stop redis (sandbox recreated)\n"
          "5 remove redis (sandbox recreated) after 4\n"
          "6 create redis (recreate) after 5\n"
          "7 start sandbox:postgres (stopped)\n"
          "8 start postgres (recreate) after 3,7\n"
          "9 await-ready postgres after 8\n"
          "10 start migrate (stopped) after 7,9\n"
          "11 await-completed migrate after 10\n"
          "12 start redis (recreate) after 6,7,8\n"
          "13 await-ready redis after 12\n"
          "14 await-ready api\n"
          "15 await-ready gateway\n");
  }
}

TEST_CASE("down removes sandboxes with their members") {
  DesiredState d = desired_state(plan_profile("stack.yaml"), shared());
  Plan p = reconcile_down(converged(d), DownOptions{});
  CHECK(p.to_string().find("remove sandbox:postgres") != std::string::npos);
  CHECK(p.to_string().find("stop sandbox:postgres") != std::string::npos);
}
