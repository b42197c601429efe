// EngineOps against a scripted engine: a create whose container name is already taken;
// the labels of a volume it creates.
#include <doctest/doctest.h>

#include "fake_transport.h"
#include "plan/apply.h"
#include "plan/desired.h"
#include "plan_profiles.h"

using namespace biodev;
using namespace biodev::plan;
using biodev::docker::testing::FakeTransport;

namespace {

constexpr const char* kConflict =
    R"({"message":"Conflict. The container name \"/p-redis\" is already in use by container \"c0ffee\"."})";

struct Engine {
  profile::Profile profile;
  DesiredState desired;
  std::shared_ptr<FakeTransport> fake = std::make_shared<FakeTransport>();
  docker::Client client{fake};

  Engine() {
    profile = plan_profile("stack.yaml");
    desired = desired_state(profile, {});
  }

  ApplyContext context() {
    ApplyContext ctx;
    ctx.client = &client;
    ctx.profile = &profile;
    ctx.desired = &desired;
    return ctx;
  }

  // Runs the create op for redis (container p-redis).
  void create_redis() {
    ApplyContext ctx = context();
    EngineOps ops(ctx);
    Plan plan;
    plan.add(OpKind::kCreateContainer, "redis", "p-redis", "new");
    ops.run(plan.ops[0]);
  }

  std::vector<std::string> calls() const {
    std::vector<std::string> out;
    for (const auto& r : fake->requests) out.push_back(r.method + " " + r.target);
    return out;
  }
};

std::string labelled(const std::string& project) {
  return R"({"Id":"c0ffee","Config":{"Labels":{"dev.biodev.project":")" + project + R"("}}})";
}

}  // namespace

TEST_CASE("a create finds its name held by an up that was killed: replaced") {
  Engine e;
  e.fake->reply(409, kConflict).reply(200, labelled("p")).reply(204).reply(201, R"({"Id":"new1"})");
  e.create_redis();
  CHECK(e.calls() == std::vector<std::string>{
                         "POST /v1.41/containers/create?name=p-redis",
                         "GET /v1.41/containers/p-redis/json",
                         "DELETE /v1.41/containers/p-redis?force=1",
                         "POST /v1.41/containers/create?name=p-redis",
                     });
}

TEST_CASE("a create finds its name held by a create still in flight: waits until it shows") {
  // Engine 20.10 takes the name before the container can be inspected, and answers an
  // inspect by that name with a 500 until it has made the container's filesystem.
  Engine e;
  e.fake->reply(409, kConflict)
      .reply(500, R"({"message":"Could not find container for entity id c0ffee"})")
      .reply(409, kConflict)
      .reply(200, labelled("p"))
      .reply(204)
      .reply(201, R"({"Id":"new1"})");
  e.create_redis();
  CHECK(e.calls() == std::vector<std::string>{
                         "POST /v1.41/containers/create?name=p-redis",
                         "GET /v1.41/containers/p-redis/json",
                         "POST /v1.41/containers/create?name=p-redis",
                         "GET /v1.41/containers/p-redis/json",
                         "DELETE /v1.41/containers/p-redis?force=1",
                         "POST /v1.41/containers/create?name=p-redis",
                     });
}

TEST_CASE(
    "a create finds its name held by another project's container: an error, nothing removed") {
  Engine e;
  e.fake->reply(409, kConflict).reply(200, labelled("someone-else"));
  CHECK_THROWS_WITH(
      e.create_redis(),
      doctest::Contains("a container named p-redis already exists but is not labelled "
                        "for this project"));
  for (const auto& call : e.calls()) CHECK(call.rfind("DELETE", 0) != 0);
}

TEST_CASE("a start refused for a task containerd kept after an engine restart goes to a new container") {
  Engine e;
  e.fake->reply(500, R"({"message":"task c0ffee: already exists"})")
      .reply(204)
      .reply(201, R"({"Id":"new1"})")
      .reply(204)
      .reply(200, R"({"Id":"new1","State":{"Running":true},"NetworkSettings":{"Ports":{
        "6379/tcp":[{"HostIp":"127.0.0.1","HostPort":"16379"}]}}})");
  ApplyContext ctx = e.context();
  EngineOps ops(ctx);
  Plan plan;
  plan.add(OpKind::kStartContainer, "redis", "c0ffee", "stopped");
  ops.run(plan.ops[0]);
  auto calls = e.calls();
  REQUIRE(calls.size() >= 4);
  CHECK(calls[0] == "POST /v1.41/containers/c0ffee/start");
  CHECK(calls[1] == "DELETE /v1.41/containers/c0ffee?force=1");
  CHECK(calls[2] == "POST /v1.41/containers/create?name=p-redis");
  CHECK(calls[3] == "POST /v1.41/containers/new1/start");
  CHECK(ops.container_id("redis") == "new1");
}

TEST_CASE("an anonymous volume is created with the project's label and its service's") {
  Engine e;
  e.profile = plan_compose("compose.anonymous.yaml");
  e.desired = desired_state(e.profile, {});
  e.fake->reply(201, R"({"Name":"p_web_anon_ad806e3f6c69"})");
  ApplyContext ctx = e.context();
  EngineOps ops(ctx);
  Plan plan;
  plan.add(OpKind::kCreateVolume, "web_anon_ad806e3f6c69", "p_web_anon_ad806e3f6c69", "new");
  ops.run(plan.ops[0]);
  REQUIRE(e.calls() == std::vector<std::string>{"POST /v1.41/volumes/create"});
  CHECK(docker::json::parse(e.fake->requests[0].body) ==
        docker::json{{"Name", "p_web_anon_ad806e3f6c69"},
                     {"Labels", {{"dev.biodev.project", "p"},
                                 {"dev.biodev.service", "web"},
                                 {"dev.biodev.volume", "web_anon_ad806e3f6c69"}}}});
}
