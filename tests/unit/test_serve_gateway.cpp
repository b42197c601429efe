#include <doctest/doctest.h>

#include <atomic>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "serve/gateway.h"
#include "util/error.h"

using namespace biodev::serve;
using namespace std::chrono_literals;
using json = nlohmann::json;
using Kind = biodev::profile::ProbeSpec::Kind;

namespace {

Request get(std::string target) {
  Request r;
  r.method = "GET";
  r.target = std::move(target);
  return r;
}

// The reply a client would get: deferred replies are awaited (bounded).
Reply settle(Reply r) {
  if (!r.deferred) return r;
  auto promise = std::make_shared<std::promise<Reply>>();
  auto future = promise->get_future();
  r.deferred([promise](Reply done) { promise->set_value(std::move(done)); });
  REQUIRE(future.wait_for(5s) == std::future_status::ready);
  return future.get();
}

GatewayTarget target(std::string name, bool required = true) {
  GatewayTarget t;
  t.name = name;
  t.host = name;
  t.port = 5432;
  t.required = required;
  t.probe.kind = Kind::kTcp;
  return t;
}

// A prober that answers from a table and counts calls.
struct FakeProber {
  std::shared_ptr<std::atomic<int>> calls = std::make_shared<std::atomic<int>>(0);
  std::shared_ptr<std::map<std::string, bool>> up = std::make_shared<std::map<std::string, bool>>();
  std::chrono::milliseconds sleep{0};

  Prober fn() const {
    return [*this](const biodev::health::ProbeTarget& t, std::chrono::milliseconds) {
      ++*calls;
      if (sleep.count()) std::this_thread::sleep_for(sleep);
      bool ok = up->count(t.host) ? up->at(t.host) : true;
      return biodev::health::ProbeResult{ok, 1500us,
                                         ok ? "accepting connections" : "connection refused"};
    };
  }
};

}  // namespace

TEST_CASE("a flood of health requests costs one probe round per TTL") {
  GatewaySpec spec;
  spec.ttl_ms = 60000;
  spec.services = {target("postgres"), target("redis")};
  FakeProber fake;
  fake.sleep = 50ms;  // the round is still running while requests pile up
  Gateway gw(spec, fake.fn());

  std::vector<Reply> replies;
  for (int i = 0; i < 1000; ++i) replies.push_back(gw.handle(get("/api/v1/health")));
  int ok = 0;
  for (auto& r : replies) ok += settle(std::move(r)).status == 200;
  CHECK(ok == 1000);
  CHECK(gw.probe_rounds() == 1);
  CHECK(fake.calls->load() == 2);

  SUBCASE("and from many threads at once") {
    std::vector<std::thread> threads;
    std::atomic<int> good{0};
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&] {
        for (int i = 0; i < 250; ++i)
          good += settle(gw.handle(get("/api/v1/health"))).status == 200;
      });
    for (auto& t : threads) t.join();
    CHECK(good == 1000);
    CHECK(gw.probe_rounds() == 1);
  }
}

TEST_CASE("concurrent first requests share one round") {
  GatewaySpec spec;
  spec.services = {target("a")};
  FakeProber fake;
  fake.sleep = 100ms;
  Gateway gw(spec, fake.fn());
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) good += settle(gw.handle(get("/api/v1/health"))).status == 200;
    });
  for (auto& t : threads) t.join();
  CHECK(good == 800);
  CHECK(gw.probe_rounds() == 1);
}

TEST_CASE("an unhealthy required service gives 503 with its detail") {
  GatewaySpec spec;
  spec.services = {target("postgres"), target("redis"), target("extra", false)};
  FakeProber fake;
  (*fake.up)["redis"] = false;
  Gateway gw(spec, fake.fn());
  Reply r = settle(gw.handle(get("/api/v1/health")));
  CHECK(r.status == 503);
  json j = json::parse(r.body);
  CHECK(j["status"] == "unhealthy");
  CHECK(j["services"]["redis"]["status"] == "unhealthy");
  CHECK(j["services"]["redis"]["detail"] == "connection refused");
  CHECK(j["services"]["postgres"]["status"] == "healthy");
  CHECK(j["services"]["postgres"]["latency_ms"] == 1.5);
  CHECK(j["services"]["postgres"]["required"] == true);
  CHECK(j["checked_at"].get<std::string>().size() == 24);  // 2025-01-01T00:00:00.000Z
  CHECK(j["checked_at"].get<std::string>().back() == 'Z');
}

TEST_CASE("an unhealthy optional service keeps the gateway healthy") {
  GatewaySpec spec;
  spec.services = {target("postgres"), target("extra", false)};
  FakeProber fake;
  (*fake.up)["extra"] = false;
  Gateway gw(spec, fake.fn());
  Reply r = settle(gw.handle(get("/api/v1/health")));
  CHECK(r.status == 200);
  json j = json::parse(r.body);
  CHECK(j["status"] == "healthy");
  CHECK(j["services"]["extra"]["status"] == "unhealthy");
  CHECK(j["services"]["extra"]["required"] == false);
}

TEST_CASE("a stopped service shows within TTL + probe time") {
  GatewaySpec spec;
  spec.ttl_ms = 50;
  spec.services = {target("db")};
  FakeProber fake;
  Gateway gw(spec, fake.fn());
  CHECK(settle(gw.handle(get("/api/v1/health"))).status == 200);
  (*fake.up)["db"] = false;  // written while no round runs: the worker is idle
  CHECK(settle(gw.handle(get("/api/v1/health"))).status == 200);  // cached
  std::this_thread::sleep_for(60ms);
  CHECK(settle(gw.handle(get("/api/v1/health"))).status == 503);
  CHECK(gw.probe_rounds() == 2);
}

TEST_CASE("probes of one round run in parallel") {
  GatewaySpec spec;
  for (int i = 0; i < 5; ++i) spec.services.push_back(target("s" + std::to_string(i)));
  FakeProber fake;
  fake.sleep = 100ms;
  Gateway gw(spec, fake.fn());
  auto start = std::chrono::steady_clock::now();
  CHECK(settle(gw.handle(get("/api/v1/health"))).status == 200);
  CHECK(std::chrono::steady_clock::now() - start < 300ms);
  CHECK(fake.calls->load() == 5);
}

TEST_CASE("a throwing prober is a failed probe, not a crash") {
  GatewaySpec spec;
  spec.services = {target("x")};
  Gateway gw(spec,
             [](const biodev::health::ProbeTarget&, std::chrono::milliseconds)
                 -> biodev::health::ProbeResult { throw std::runtime_error("boom"); });
  Reply r = settle(gw.handle(get("/api/v1/health")));
  CHECK(r.status == 503);
  CHECK(json::parse(r.body)["services"]["x"]["detail"] == "probe failed: boom");
}

TEST_CASE("/health, /metrics and routing") {
  GatewaySpec spec;
  spec.services = {target("postgres"), target("redis")};
  spec.routes = {{"/api/", "api", "api", 8000}, {"/api/admin/", "admin", "admin", 9000}};
  spec.proxy_timeout_ms = 1234;
  FakeProber fake;
  (*fake.up)["redis"] = false;
  Gateway gw(spec, fake.fn());

  Reply h = gw.handle(get("/health"));
  CHECK(h.status == 200);
  CHECK(h.body == R"({"status":"ok"})");

  Reply m = settle(gw.handle(get("/metrics")));
  CHECK(m.status == 200);
  CHECK(m.body.find("biodev_service_up{service=\"postgres\"} 1\n") != std::string::npos);
  CHECK(m.body.find("biodev_service_up{service=\"redis\"} 0\n") != std::string::npos);
  CHECK(m.body.find("biodev_service_latency_seconds{service=\"postgres\"} 0.0015\n") !=
        std::string::npos);
  CHECK(m.body.find("biodev_gateway_requests_total{route=\"/health\",status=\"200\"} 1\n") !=
        std::string::npos);

  Reply p = gw.handle(get("/api/admin/users?x=1"));
  REQUIRE(p.proxy_to);
  CHECK(p.proxy_to->host == "admin");
  CHECK(p.proxy_to->port == 9000);
  CHECK(p.proxy_to->target == "/api/admin/users?x=1");
  CHECK(p.proxy_to->timeout == 1234ms);
  REQUIRE(p.on_sent);
  p.on_sent(201);
  Reply q = gw.handle(get("/api/items"));
  REQUIRE(q.proxy_to);
  CHECK(q.proxy_to->host == "api");

  Reply n = gw.handle(get("/elsewhere"));
  CHECK(n.status == 404);
  json j = json::parse(n.body);
  CHECK(j["routes"].size() == 2);
  CHECK(j["routes"][0]["prefix"] == "/api/admin/");
  CHECK(settle(gw.handle(get("/metrics")))
            .body.find("biodev_gateway_requests_total{route=\"/api/admin/\",status=\"201\"} 1\n") !=
        std::string::npos);
}

TEST_CASE("a strip_prefix route forwards the path without its prefix") {
  GatewaySpec spec;
  spec.routes.push_back({"/inference/", "inference", "inference", 8000, true});
  spec.routes.push_back({"/api/", "api", "api", 8000, false});
  FakeProber fake;
  Gateway gw(spec, fake.fn());
  Reply a = gw.handle(get("/inference/v1/embeddings?x=1"));
  REQUIRE(a.proxy_to);
  CHECK(a.proxy_to->target == "/v1/embeddings?x=1");
  Reply b = gw.handle(get("/api/items"));
  REQUIRE(b.proxy_to);
  CHECK(b.proxy_to->target == "/api/items");
  GatewaySpec back = gateway_spec_from_string(gateway_spec_to_string(spec));
  CHECK(back.routes[0].strip_prefix);
  CHECK_FALSE(back.routes[1].strip_prefix);
}

TEST_CASE("gateway spec JSON round trip and validation") {
  GatewaySpec spec;
  spec.ttl_ms = 250;
  auto t = target("api", false);
  t.probe.kind = Kind::kHttp;
  t.probe.path = "/healthz";
  t.probe.expect_status = 204;
  spec.services = {target("postgres"), t};
  spec.services[0].probe.kind = Kind::kPostgres;
  spec.services[0].probe.user = "app";
  spec.services[0].probe.database = "appdb";
  spec.routes = {{"/api/", "api", "api", 8000}};
  std::string text = gateway_spec_to_string(spec);
  GatewaySpec back = gateway_spec_from_string(text);
  CHECK(gateway_spec_to_string(back) == text);
  CHECK(back.ttl_ms == 250);
  CHECK(back.services[1].probe.kind == Kind::kHttp);
  CHECK(back.services[1].probe.path == "/healthz");
  CHECK(back.services[1].probe.expect_status == 204);
  CHECK(back.services[1].required == false);
  CHECK(back.services[0].probe.user == "app");
  CHECK(back.routes[0].port == 8000);

  CHECK(gateway_spec_from_string("{}").services.empty());
  CHECK_THROWS_AS(gateway_spec_from_string("nope"), biodev::UsageError);
  CHECK_THROWS_AS(gateway_spec_from_string(R"({"services":[{"name":"x","port":0}]})"),
                  biodev::UsageError);
  CHECK_THROWS_AS(
      gateway_spec_from_string(R"({"services":[{"name":"x","port":1,"probe":{"kind":"exec"}}]})"),
      biodev::UsageError);
  CHECK_THROWS_AS(
      gateway_spec_from_string(R"({"routes":[{"prefix":"api","service":"a","port":1}]})"),
      biodev::UsageError);
}

TEST_CASE("gateway_spec_from_profile collects probed services and routes") {
  biodev::profile::Profile p;
  biodev::profile::Service pg;
  pg.name = "postgres";
  pg.ready.kind = Kind::kPostgres;
  pg.ready.port = 5432;
  pg.ready.user = "app";
  pg.ready.password = "secret";
  biodev::profile::Service api;
  api.name = "api";
  api.required = false;
  api.ready.kind = Kind::kHttp;
  api.ready.path = "/health";
  api.ports = {biodev::profile::PortSpec{}};
  api.ports[0].container_port = 8000;
  api.routes = {{"/api/", "api", 0}};
  biodev::profile::Service worker;  // no probe: not a target
  worker.name = "worker";
  biodev::profile::Service job;  // exec probe with a port: checked over tcp
  job.name = "job";
  job.ready.kind = Kind::kExec;
  job.ready.port = 7000;
  biodev::profile::Service gw;
  gw.name = "gateway";
  gw.ready.kind = Kind::kHttp;
  gw.ready.port = 8080;
  p.services = {pg, api, worker, job, gw};

  GatewaySpec spec = gateway_spec_from_profile(p, "gateway");
  REQUIRE(spec.services.size() == 3);
  CHECK(spec.services[0].name == "postgres");
  CHECK(spec.services[0].host == "postgres");
  CHECK(spec.services[0].port == 5432);
  CHECK(spec.services[0].probe.user == "app");
  CHECK(spec.services[1].port == 8000);
  CHECK(spec.services[1].required == false);
  CHECK(spec.services[2].probe.kind == Kind::kTcp);
  REQUIRE(spec.routes.size() == 1);
  CHECK(spec.routes[0].host == "api");
  CHECK(spec.routes[0].port == 8000);
  CHECK(gateway_spec_to_string(spec).find("secret") == std::string::npos);
}
