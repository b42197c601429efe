// The dashboard's view of a stack: built from a snapshot, kept current by events.
#include <doctest/doctest.h>

#include "dashboard/view.h"
#include "plan/labels.h"

using namespace biodev;
using namespace biodev::dashboard;

namespace {

plan::ObservedContainer container(const std::string& service, const std::string& id,
                                  const std::string& state, const std::string& status) {
  plan::ObservedContainer c;
  c.id = id;
  c.name = "p-" + service;
  c.service = service;
  c.state = state;
  c.status = status;
  c.image = "biodev/" + service;
  c.variant = "offline";
  return c;
}

docker::ContainerEvent event(const std::string& id, const std::string& action,
                             std::map<std::string, std::string> attributes = {}) {
  docker::ContainerEvent e;
  e.id = id;
  e.action = action;
  e.attributes = std::move(attributes);
  return e;
}

StackView sample() {
  plan::ObservedState obs;
  auto pg = container("postgres", "aaa", "running", "Up 2 seconds (healthy)");
  pg.ports = {{5432, "tcp", "127.0.0.1", 40001}, {5432, "tcp", "::", 40001}};
  auto q = container("qdrant", "bbb", "exited", "Exited (1) 3 seconds ago");
  q.labels[labels::kStandIn] = "qdrant/qdrant:v1.12.4";
  obs.containers = {q, pg};
  obs.reach_host = "127.0.0.1";
  return view_from(obs, "p", {"postgres", "redis", "qdrant"});
}

}  // namespace

TEST_CASE("view_from keeps the profile's order, marks missing services, reads health and ports") {
  StackView v = sample();
  REQUIRE(v.services.size() == 3);
  CHECK(v.services[0].service == "postgres");
  CHECK(v.services[0].health == "healthy");
  REQUIRE(v.services[0].ports.size() == 1);  // the same binding on v4 and v6 shows once
  CHECK(v.services[0].ports[0].host_port == 40001);
  CHECK(v.services[1].service == "redis");
  CHECK(v.services[1].state == "not created");
  CHECK(v.services[2].stand_in == "qdrant/qdrant:v1.12.4");
  auto j = to_json(v);
  CHECK(j["services"][0]["ports"][0]["url"] == "http://127.0.0.1:40001/");
  CHECK(j["engine"]["up"] == true);
}

TEST_CASE("events move a service through die, start, health and destroy") {
  StackView v = sample();
  CHECK(apply_event(v, event("aaa", "kill")) == EventEffect::kNone);
  CHECK(apply_event(v, event("aaa", "die", {{"exitCode", "137"}})) == EventEffect::kChanged);
  CHECK(v.services[0].state == "exited");
  CHECK(v.services[0].exit_code == "137");
  CHECK(v.services[0].health == "unhealthy");
  CHECK(apply_event(v, event("aaa", "start")) == EventEffect::kRefresh);
  CHECK(v.services[0].state == "running");
  CHECK(v.services[0].health == "starting");
  CHECK(v.services[0].exit_code.empty());
  CHECK(v.services[0].starts == 1);
  CHECK(apply_event(v, event("aaa", "health_status: healthy")) == EventEffect::kChanged);
  CHECK(v.services[0].health == "healthy");
  CHECK(apply_event(v, event("aaa", "health_status: healthy")) == EventEffect::kNone);
  CHECK(apply_event(v, event("aaa", "pause")) == EventEffect::kChanged);
  CHECK(v.services[0].state == "paused");
  CHECK(apply_event(v, event("aaa", "unpause")) == EventEffect::kChanged);
  CHECK(v.services[0].state == "running");
  CHECK(apply_event(v, event("aaa", "destroy")) == EventEffect::kRefresh);
  CHECK(v.services[0].state == "not created");
  CHECK(v.services[0].id.empty());
}

TEST_CASE(
    "an event of a container the view does not know asks for a snapshot only when it may be new") {
  StackView v = sample();
  CHECK(apply_event(v, event("zzz", "create")) == EventEffect::kRefresh);
  CHECK(apply_event(v, event("zzz", "start")) == EventEffect::kRefresh);
  CHECK(apply_event(v, event("zzz", "die")) == EventEffect::kNone);
}

TEST_CASE("a new snapshot keeps seed results and start counts") {
  StackView v = sample();
  v.services[0].seed = "2 script(s) applied";
  apply_event(v, event("aaa", "start"));
  plan::ObservedState obs;
  obs.containers = {container("postgres", "aaa", "running", "Up 1 second (health: starting)")};
  StackView next = view_from(obs, "p", {"postgres"}, &v);
  CHECK(next.services[0].seed == "2 script(s) applied");
  CHECK(next.services[0].starts == 1);
  CHECK(next.services[0].health == "starting");
}

TEST_CASE("parse_container_event reads Actor attributes and skips other types") {
  auto e = docker::parse_container_event(nlohmann::json::parse(
      R"({"Type":"container","Action":"health_status: unhealthy","Actor":{"ID":"abc","Attributes":{"dev.biodev.service":"redis","exitCode":"0"}},"timeNano":12})"));
  REQUIRE(e);
  CHECK(e->id == "abc");
  CHECK(e->health() == "unhealthy");
  CHECK(e->attribute("dev.biodev.service") == "redis");
  CHECK(e->time_ns == 12);
  CHECK_FALSE(docker::parse_container_event(
      nlohmann::json::parse(R"({"Type":"network","Action":"connect","Actor":{"ID":"n"}})")));
  CHECK(docker::health_from_status("Up 3 minutes (health: starting)") == "starting");
  CHECK(docker::health_from_status("Up 3 minutes") == "");
}

TEST_CASE("sse_frame sends each line of the data as its own data field") {
  CHECK(sse_frame("log", "one") == "event: log\ndata: one\n\n");
  CHECK(sse_frame("log", "a\r\nb") == "event: log\ndata: a\ndata: b\n\n");
}
