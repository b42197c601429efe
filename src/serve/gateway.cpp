#include "serve/gateway.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <nlohmann/json.hpp>

#include "util/error.h"
#include "util/parallel.h"

namespace biodev::serve {

using Clock = std::chrono::steady_clock;
using json = nlohmann::ordered_json;

namespace {

std::string rfc3339_utc(std::chrono::system_clock::time_point tp) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(tp.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms % 1000);
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

TargetStatus probe_target(const Prober& prober, const GatewayTarget& t,
                          std::chrono::milliseconds timeout) {
  TargetStatus s;
  s.name = t.name;
  s.required = t.required;
  health::ProbeTarget target{t.probe, t.host, t.port};
  try {
    health::ProbeResult r = prober(target, timeout);
    s.ok = r.ok;
    s.latency = r.latency;
    s.detail = r.detail;
  } catch (const std::exception& e) {
    s.detail = std::string("probe failed: ") + e.what();
  }
  return s;
}

}  // namespace

GatewayConfig GatewayConfig::from_env() {
  GatewayConfig c;
  c.port = static_cast<int>(env_int("GATEWAY_PORT", c.port, 1, 65535));
  c.threads = static_cast<int>(env_int("BIODEV_SERVE_THREADS", 0, 0, 1024));
  if (const char* spec = std::getenv("BIODEV_GATEWAY_SPEC"); spec && *spec)
    c.spec = gateway_spec_from_string(spec);
  return c;
}

Gateway::Gateway(GatewaySpec spec, Prober prober)
    : spec_(std::move(spec)), prober_(std::move(prober)) {
  // Longest prefix first, so the first match is the best one.
  std::stable_sort(spec_.routes.begin(), spec_.routes.end(),
                   [](const auto& a, const auto& b) { return a.prefix.size() > b.prefix.size(); });
  worker_ = std::thread([this] { worker_loop(); });
}

Gateway::~Gateway() { shutdown(); }

void Gateway::shutdown() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
}

uint64_t Gateway::probe_rounds() const {
  std::lock_guard lock(mu_);
  return rounds_done_;
}

Reply Gateway::handle(const Request& req) {
  std::string_view path = req.path();
  if (req.method == "GET" && path == "/health") {
    metrics_.observe("/health", 200, 0);
    return Reply::json(200, R"({"status":"ok"})");
  }
  if (req.method == "GET" && path == "/api/v1/health")
    return with_snapshot("/api/v1/health", &Gateway::health_reply);
  if (req.method == "GET" && path == "/metrics")
    return with_snapshot("/metrics", &Gateway::metrics_reply);
  return route_or_404(req);
}

Reply Gateway::reply_from(const Snapshot& snap, Render render, std::string_view route,
                          Clock::time_point start) {
  Reply r = (this->*render)(snap);
  metrics_.observe(route, r.status, seconds_since(start));
  return r;
}

Reply Gateway::with_snapshot(std::string_view route, Render render) {
  auto start = Clock::now();
  std::unique_lock lock(mu_);
  if (snapshot_ && start - snapshot_->started < std::chrono::milliseconds(spec_.ttl_ms)) {
    auto snap = snapshot_;
    lock.unlock();
    return reply_from(*snap, render, route, start);
  }
  // Wait for the round in flight if there is one, else ask for the next.
  uint64_t round = rounds_done_ + 1;
  if (!round_running_ && !round_wanted_) {
    round_wanted_ = true;
    wake_.notify_one();
  }
  Reply r;
  r.deferred = [this, round, render, route = std::string(route), start](ReplySink sink) {
    await_round(round, Waiter{render, route, start, std::move(sink)});
  };
  return r;
}

void Gateway::await_round(uint64_t round, Waiter waiter) {
  std::unique_lock lock(mu_);
  if (rounds_done_ >= round) {
    auto snap = snapshot_;
    lock.unlock();
    waiter.sink(reply_from(*snap, waiter.render, waiter.route, waiter.start));
    return;
  }
  waiters_.push_back(std::move(waiter));
}

void Gateway::worker_loop() {
  std::unique_lock lock(mu_);
  while (true) {
    wake_.wait(lock, [this] { return round_wanted_ || stopping_; });
    if (!round_wanted_) return;  // stopping, nobody waiting
    round_wanted_ = false;
    round_running_ = true;
    lock.unlock();
    auto snap = run_round();
    lock.lock();
    snapshot_ = snap;
    ++rounds_done_;
    round_running_ = false;
    auto waiters = std::move(waiters_);
    waiters_.clear();
    lock.unlock();
    for (auto& w : waiters) w.sink(reply_from(*snap, w.render, w.route, w.start));
    lock.lock();
  }
}

std::shared_ptr<const Gateway::Snapshot> Gateway::run_round() {
  auto snap = std::make_shared<Snapshot>();
  snap->started = Clock::now();
  snap->checked_at = rfc3339_utc(std::chrono::system_clock::now());
  const auto& targets = spec_.services;
  snap->targets.resize(targets.size());
  std::chrono::milliseconds timeout(spec_.probe_timeout_ms);
  // A worker per target: probes block for up to the timeout, and a round must take
  // one timeout, not one per target. probe_target does not throw.
  parallel_for(
      targets.size(),
      [&](size_t i) { snap->targets[i] = probe_target(prober_, targets[i], timeout); },
      std::max<size_t>(targets.size(), 1));
  json services = json::object();
  for (const auto& t : snap->targets) {
    if (t.required && !t.ok) snap->healthy = false;
    // Milliseconds with two decimals: 1.23.
    double ms = std::round(static_cast<double>(t.latency.count()) / 10.0) / 100.0;
    services[t.name] = {{"status", t.ok ? "healthy" : "unhealthy"},
                        {"latency_ms", ms},
                        {"detail", t.detail},
                        {"required", t.required}};
  }
  json body = {{"status", snap->healthy ? "healthy" : "unhealthy"},
               {"services", std::move(services)},
               {"checked_at", snap->checked_at}};
  snap->health_body = body.dump();
  return snap;
}

Reply Gateway::health_reply(const Snapshot& snap) const {
  return Reply::json(snap.healthy ? 200 : 503, snap.health_body);
}

Reply Gateway::metrics_reply(const Snapshot& snap) const {
  std::string out;
  prom_family(out, "biodev_service_up", "gauge",
              "1 when the service's readiness probe passed in the latest round.");
  for (const auto& t : snap.targets)
    prom_sample(out, "biodev_service_up", {{"service", t.name}}, t.ok ? 1 : 0);
  prom_family(out, "biodev_service_latency_seconds", "gauge",
              "Duration of the service's latest readiness probe.");
  for (const auto& t : snap.targets)
    prom_sample(out, "biodev_service_latency_seconds", {{"service", t.name}},
                static_cast<double>(t.latency.count()) / 1e6);
  prom_family(out, "biodev_gateway_probe_rounds_total", "counter", "Probe rounds run.");
  prom_sample(out, "biodev_gateway_probe_rounds_total", {}, static_cast<double>(probe_rounds()));
  out += metrics_.render();
  return Reply::text(200, std::move(out), kPrometheusContentType);
}

Reply Gateway::route_or_404(const Request& req) {
  std::string_view path = req.path();
  for (const auto& route : spec_.routes) {
    if (!path.starts_with(route.prefix)) continue;
    Reply r;
    // strip_prefix keeps the slash: "/inference/v1/x" -> "/v1/x", "/inference" -> "/".
    std::string target = req.target;
    if (route.strip_prefix) {
      target = req.target.substr(route.prefix.size());
      if (!target.starts_with("/")) target = "/" + target;
    }
    r.proxy_to = ProxyTarget{route.host, route.port, target,
                             std::chrono::milliseconds(spec_.proxy_timeout_ms)};
    r.on_sent = [this, prefix = route.prefix, start = Clock::now()](int status) {
      metrics_.observe(prefix, status, seconds_since(start));
    };
    return r;
  }
  json routes = json::array();
  for (const auto& route : spec_.routes)
    routes.push_back({{"prefix", route.prefix}, {"service", route.service}});
  metrics_.observe("other", 404, 0);
  json body = {{"error", "no route for " + std::string(path)},
               {"routes", std::move(routes)},
               {"builtin", {"/health", "/api/v1/health", "/metrics"}}};
  return Reply::json(404, body.dump());
}

int run_gateway_server(const GatewayConfig& config) {
  ServerOptions opt;
  opt.host = config.host;
  opt.port = config.port;
  opt.threads = config.threads;
  Gateway gateway(config.spec, [](const health::ProbeTarget& t, std::chrono::milliseconds timeout) {
    return health::probe_once(t, timeout);
  });
  Server server(opt, [&gateway](const Request& r) { return gateway.handle(r); });
  std::string banner = fmt::format("biodev gateway ({} services, {} routes)",
                                   config.spec.services.size(), config.spec.routes.size());
  int code = serve_until_signal(server, banner);
  gateway.shutdown();
  return code;
}

}  // namespace biodev::serve
