// Golden tests for the planner, in the manner of docker compose's reconcile_test.go:
// each case states the engine's objects and the exact plan reconcile() must produce.
#include <doctest/doctest.h>

#include "plan/desired.h"
#include "plan/reconcile.h"
#include "plan_profiles.h"

using namespace biodev;
using namespace biodev::plan;

namespace {

profile::Profile stack() { return plan_profile("stack.yaml"); }

DesiredState desired(const DesiredOptions& o = {}) { return desired_state(stack(), o); }

// The engine holding every service of `d`, running, up to date.
ObservedState converged(const DesiredState& d) {
  ObservedState s;
  for (const auto& n : d.networks) s.networks[n.full_name] = "net-" + n.name;
  for (const auto& v : d.volumes) s.volumes.push_back(v.full_name);
  for (const auto& c : d.containers)
    s.containers.push_back({"id-" + c.service, c.name, c.service, c.config_hash, "running", "upstream", {}, {}});
  return s;
}

ObservedContainer& container(ObservedState& s, const std::string& service) {
  for (auto& c : s.containers)
    if (c.service == service) return c;
  throw std::runtime_error("no container " + service);
}

}  // namespace

TEST_CASE("cold up creates everything and orders starts by depends_on") {
  Plan p = reconcile_up(desired(), ObservedState{}, UpOptions{});
  CHECK(p.to_string() ==
        "1 create-network front (new)\n"
        "2 create-network data (new)\n"
        "3 create-volume pgdata (new)\n"
        "4 create postgres (new) after 2,3\n"
        "5 create migrate (new) after 2\n"
        "6 create redis (new) after 2\n"
        "7 create api (new) after 1\n"
        "8 connect api after 2,7\n"
        "9 create gateway (new) after 1\n"
        "10 start postgres (new) after 4\n"
        "11 await-ready postgres after 10\n"
        "12 seed postgres after 11\n"
        "13 start migrate (new) after 5,12\n"
        "14 await-completed migrate after 13\n"
        "15 start redis (new) after 6,10\n"  // after the lead start of postgres
        "16 await-ready redis after 15\n"
        "17 start api (new) after 7,8,14,16\n"
        "18 await-ready api after 17\n"
        "19 start gateway (new) after 9,17\n"
        "20 await-ready gateway after 19\n");
}

TEST_CASE("warm up with nothing changed touches nothing in the engine") {
  DesiredState d = desired();
  Plan p = reconcile_up(d, converged(d), UpOptions{});
  CHECK(p.changes_nothing());
  CHECK(p.to_string() ==
        "1 await-ready postgres\n"
        "2 seed postgres after 1\n"
        "3 await-completed migrate\n"
        "4 await-ready redis\n"
        "5 await-ready api\n"
        "6 await-ready gateway\n");
}

TEST_CASE("a changed config recreates only that service") {
  DesiredState d = desired();
  ObservedState s = converged(d);
  container(s, "redis").config_hash = "old";
  Plan p = reconcile_up(d, s, UpOptions{.seed = false});
  CHECK(p.to_string() ==
        "1 stop redis (config changed)\n"
        "2 remove redis (config changed) after 1\n"
        "3 create redis (recreate) after 2\n"
        "4 await-ready postgres\n"
        "5 await-completed migrate\n"
        "6 start redis (recreate) after 3\n"
        "7 await-ready redis after 6\n"
        "8 await-ready api\n"
        "9 await-ready gateway\n");
}

TEST_CASE("a stopped container is started, not recreated") {
  DesiredState d = desired();
  ObservedState s = converged(d);
  container(s, "gateway").state = "exited";
  Plan p = reconcile_up(d, s, UpOptions{.seed = false});
  CHECK(p.to_string().find("start gateway (stopped)\n") != std::string::npos);
  CHECK(p.to_string().find("create") == std::string::npos);
}

TEST_CASE("orphans and duplicates are removed; a missing network is recreated") {
  DesiredState d = desired();
  ObservedState s = converged(d);
  s.containers.push_back({"id-old", "p-worker", "worker", "h", "running", "", {}, {}});
  s.containers.push_back({"id-dup", "p-redis-x", "redis", "h", "exited", "", {}, {}});
  s.networks.erase("p_front");
  Plan p = reconcile_up(d, s, UpOptions{.seed = false});
  CHECK(p.to_string() ==
        "1 create-network front (new)\n"
        "2 stop worker (orphan)\n"
        "3 remove worker (orphan) after 2\n"
        "4 remove redis (duplicate)\n"
        "5 await-ready postgres\n"
        "6 await-completed migrate\n"
        "7 await-ready redis\n"
        "8 await-ready api\n"
        "9 await-ready gateway\n");
}

TEST_CASE("a second network of the same name (left by a killed up) is removed") {
  DesiredState d = desired();
  ObservedState s = converged(d);
  s.duplicate_networks.push_back({"p_data", "net-dup"});
  Plan p = reconcile_up(d, s, UpOptions{.seed = false});
  CHECK(p.to_string().starts_with("1 remove-network p_data (duplicate)\n2 await-ready postgres\n"));
  CHECK(p.ops[0].target == "net-dup");
  Plan down = reconcile_down(s, DownOptions{});
  CHECK(down.to_string().find("remove-network p_data (duplicate) after") != std::string::npos);
}

TEST_CASE("force-recreate replaces running containers with the same config") {
  DesiredState d = desired(DesiredOptions{.services = {"redis"}});
  ObservedState s = converged(d);
  Plan p = reconcile_up(d, s, UpOptions{.force_recreate = true, .seed = false, .remove_orphans = false});
  CHECK(p.to_string() ==
        "1 stop redis (forced)\n"
        "2 remove redis (forced) after 1\n"
        "3 create redis (recreate) after 2\n"
        "4 start redis (recreate) after 3\n"
        "5 await-ready redis after 4\n");
}

TEST_CASE("config hash changes with the image id and the command, not with biodev labels") {
  auto hash = [](const DesiredOptions& o) { return desired(o).find("redis")->config_hash; };
  DesiredOptions a, b, c;
  a.images["redis"] = {"biodev/redis:7", "sha256:aaa", "offline"};
  b.images["redis"] = {"biodev/redis:7", "sha256:bbb", "offline"};
  c.images["redis"] = {"biodev/redis:7", "sha256:aaa", "offline"};
  CHECK(hash(a) != hash(b));
  CHECK(hash(a) == hash(c));
  DesiredState d = desired(a);
  const json body = docker::create_body(d.find("redis")->spec);
  CHECK(body["Labels"]["dev.biodev.project"] == "p");
  CHECK(body["HostConfig"]["Init"] == true);
  CHECK(body["NetworkingConfig"]["EndpointsConfig"]["p_data"]["Aliases"] == json{"redis"});
}

TEST_CASE("down stops running containers in parallel, then removes networks; -v adds volumes") {
  DesiredState d = desired();
  ObservedState s = converged(d);
  container(s, "migrate").state = "exited";
  Plan p = reconcile_down(s, DownOptions{.remove_volumes = true, .data_dirs = {"/x/.data/postgres"}});
  CHECK(p.to_string() ==
        "1 stop postgres\n"
        "2 remove postgres after 1\n"
        "3 remove migrate\n"
        "4 stop redis\n"
        "5 remove redis after 4\n"
        "6 stop api\n"
        "7 remove api after 6\n"
        "8 stop gateway\n"
        "9 remove gateway after 8\n"
        "10 remove-network p_data after 2,3,5,7,9\n"
        "11 remove-network p_front after 2,3,5,7,9\n"
        "12 remove-volume p_pgdata after 2,3,5,7,9\n"
        "13 remove-data /x/.data/postgres after 2,3,5,7,9\n");
}

TEST_CASE("the start of a slow-to-ready service leads its wave, and only when it starts") {
  DesiredState d = desired();
  ObservedState s = converged(d);
  container(s, "postgres").state = "exited";
  container(s, "redis").state = "exited";
  CHECK(reconcile_up(d, s, UpOptions{}).to_string() ==
        "1 start postgres (stopped)\n"
        "2 await-ready postgres after 1\n"
        "3 seed postgres after 2\n"
        "4 await-completed migrate\n"
        "5 start redis (stopped) after 1\n"
        "6 await-ready redis after 5\n"
        "7 await-ready api\n"
        "8 await-ready gateway\n");
  container(s, "postgres").state = "running";
  CHECK(reconcile_up(d, s, UpOptions{}).to_string().find("start redis (stopped)\n") != std::string::npos);
}

TEST_CASE("anonymous volumes: made before their container, kept by recreate and warm up, removed by down -v") {
  DesiredState d = desired_state(plan_compose("compose.anonymous.yaml"), {});
  CHECK(reconcile_up(d, ObservedState{}, UpOptions{}).to_string() ==
        "1 create-network default (new)\n"
        "2 create-volume pgdata (new)\n"
        "3 create-volume web_anon_ad806e3f6c69 (new)\n"
        "4 create-volume web_anon_4f7cfe6fcd42 (new)\n"
        "5 create web (new) after 1,3,4\n"
        "6 create db (new) after 1,2\n"
        "7 start web (new) after 5\n"
        "8 await-ready web after 7\n"
        "9 start db (new) after 6\n"
        "10 await-ready db after 9\n");
  ObservedState s = converged(d);
  CHECK(reconcile_up(d, s, UpOptions{}).changes_nothing());
  // A recreate mounts the same volume again: nothing about it is planned.
  CHECK(reconcile_up(d, s, UpOptions{.force_recreate = true}).to_string() ==
        "1 stop web (forced)\n"
        "2 remove web (forced) after 1\n"
        "3 create web (recreate) after 2\n"
        "4 stop db (forced)\n"
        "5 remove db (forced) after 4\n"
        "6 create db (recreate) after 5\n"
        "7 start web (recreate) after 3\n"
        "8 await-ready web after 7\n"
        "9 start db (recreate) after 6\n"
        "10 await-ready db after 9\n");
  CHECK(reconcile_down(s, DownOptions{}).to_string().find("remove-volume") == std::string::npos);
  CHECK(reconcile_down(s, DownOptions{.remove_volumes = true}).to_string() ==
        "1 stop web\n"
        "2 remove web after 1\n"
        "3 stop db\n"
        "4 remove db after 3\n"
        "5 remove-network p_default after 2,4\n"
        "6 remove-volume p_pgdata after 2,4\n"
        "7 remove-volume p_web_anon_ad806e3f6c69 after 2,4\n"
        "8 remove-volume p_web_anon_4f7cfe6fcd42 after 2,4\n");
}
