// `biodev health`: every service's readiness probe, in parallel, from the host. Made
// for pre-commit hooks: one engine list call, then probes; no profile needed (the probe
// specs travel on the containers' labels), though a loadable profile adds the services
// that should be running and are not.
#include <iostream>

#include "cli/commands.h"
#include "cli/table.h"
#include "health/probe.h"
#include "plan/apply.h"
#include "plan/labels.h"
#include "plan/state.h"
#include "plan/stop_reason.h"
#include "profile/errors.h"
#include "util/parallel.h"
#include "util/strings.h"

namespace biodev::cli {
namespace {

struct Row {
  std::string service;
  bool required = true;
  bool healthy = false;
  double latency_ms = 0;
  std::string detail;
};

profile::ProbeSpec spec_from_label(const std::string& text) {
  profile::ProbeSpec s;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return s;
  std::string type = j.value("type", "none");
  using K = profile::ProbeSpec::Kind;
  s.kind = type == "tcp"        ? K::kTcp
           : type == "http"     ? K::kHttp
           : type == "postgres" ? K::kPostgres
           : type == "redis"    ? K::kRedis
           : type == "exec"     ? K::kExec
                                : K::kNone;
  s.port = j.value("port", 0);
  s.path = j.value("path", "/");
  s.expect_status = j.value("status", 200);
  s.user = j.value("user", "");
  s.database = j.value("database", "");
  if (j.contains("command")) s.command = j["command"].get<std::vector<std::string>>();
  return s;
}

// The probe from the profile when it loads (labels can be older than an edited
// profile), else the one recorded on the container when it was created.
profile::ProbeSpec probe_for(const plan::ObservedContainer& c, const profile::Profile* p) {
  if (p)
    if (const profile::Service* s = p->find(c.service))
      return (c.variant == "offline" && s->offline ? *s->offline : *s).ready;
  auto ready = c.labels.find(labels::kReady);
  return ready != c.labels.end() ? spec_from_label(ready->second) : profile::ProbeSpec{};
}

Row check(docker::Client& client, const plan::ObservedContainer& c, const profile::ProbeSpec& spec,
          std::chrono::milliseconds timeout, const profile::Profile* p) {
  Row r;
  r.service = c.service;
  auto req = c.labels.find(labels::kRequired);
  r.required = req == c.labels.end() || req->second != "false";
  if (c.state != "running") {
    r.detail = "container " + c.state;
    // A stopped container says why: its exit code, or the OOM killer and the limit.
    if (c.state == "exited") {
      const profile::Service* s = p ? p->find(c.service) : nullptr;
      r.detail += ": " + plan::stop_reason(client.inspect_container(c.id), s);
    }
    return r;
  }
  auto target = plan::host_probe_target(spec, c.ports, "", client.reach_host());
  if (!target) {
    for (const auto& [name, ip] : client.inspect_container(c.id).networks)
      if (auto t = plan::host_probe_target(spec, c.ports, ip, client.reach_host())) {
        target = t;
        break;
      }
  }
  if (!target) {
    r.detail = "port " + std::to_string(spec.port) + " is not reachable from the host";
    return r;
  }
  health::ProbeResult pr = health::probe_once(
      *target, timeout,
      [&](const std::vector<std::string>& cmd) { return client.exec(c.id, cmd).exit_code; });
  r.healthy = pr.ok;
  r.latency_ms = static_cast<double>(pr.latency.count()) / 1000.0;
  r.detail = pr.detail;
  return r;
}

// Every container's row, probed at once, then the profile's services that are not
// running at all; rows in profile order.
std::vector<Row> health_rows(docker::Client& client, plan::ObservedState& obs,
                             const profile::Profile* prof, std::chrono::milliseconds timeout) {
  // Shared sandboxes hold namespaces, not services: their members' probes cover them.
  std::erase_if(obs.containers, [](const plan::ObservedContainer& c) { return c.is_sandbox(); });
  std::vector<Row> rows(obs.containers.size());
  // Every probe at once: a slow one costs one timeout, not one per container.
  parallel_for(
      obs.containers.size(),
      [&](size_t i) {
        try {
          rows[i] =
              check(client, obs.containers[i], probe_for(obs.containers[i], prof), timeout, prof);
        } catch (const std::exception& e) {
          rows[i] = Row{obs.containers[i].service, true, false, 0, e.what()};
        }
      },
      std::max<size_t>(obs.containers.size(), 1));
  std::vector<std::string> order;
  if (prof) {
    order = prof->service_names();
    for (const auto& s : prof->services)
      if (obs.for_service(s.name).empty())
        rows.push_back({s.name, s.required, false, 0, "not running"});
  }
  auto rank = [&](const Row& r) {
    return static_cast<size_t>(std::find(order.begin(), order.end(), r.service) - order.begin());
  };
  std::stable_sort(rows.begin(), rows.end(),
                   [&](const Row& a, const Row& b) { return rank(a) < rank(b); });
  return rows;
}

void print_json(const std::string& project, const std::vector<Row>& rows, bool healthy) {
  nlohmann::ordered_json services = nlohmann::ordered_json::object();
  for (const auto& r : rows)
    services[r.service] = {{"status", r.healthy ? "healthy" : "unhealthy"},
                           {"required", r.required},
                           {"latency_ms", r.latency_ms},
                           {"detail", r.detail}};
  std::cout << nlohmann::ordered_json{{"project", project},
                                      {"status", healthy ? "healthy" : "unhealthy"},
                                      {"services", services}}
                   .dump()
            << "\n";
}

void print_table(const std::string& project, const std::vector<Row>& rows, bool healthy) {
  Table t({"SERVICE", "STATUS", "LATENCY", "DETAIL"});
  for (const auto& r : rows)
    t.add({r.service + (r.required ? "" : " (optional)"), r.healthy ? "healthy" : "UNHEALTHY",
           r.healthy ? format_duration_us(static_cast<long long>(r.latency_ms * 1000)) : "-",
           r.detail});
  std::cout << t.render();
  if (healthy) return;
  std::vector<std::string> bad;
  for (const auto& r : rows)
    if (!r.healthy && r.required) bad.push_back(r.service);
  std::cerr << "project " << project << " is unhealthy: " << join(bad, ", ") << "\n";
}

}  // namespace

Runner setup_health(CLI::App& sub, Context& ctx) {
  auto timeout_ms = std::make_shared<int>(2000);
  sub.add_option("--timeout-ms", *timeout_ms, "Per-probe timeout")->default_val(2000);
  return [&ctx, timeout_ms] {
    std::string project = ctx.project();
    docker::Client& client = ctx.client();
    plan::ObservedState obs = plan::observe(client, project);
    if (obs.containers.empty()) {
      if (ctx.options.json)
        std::cout << nlohmann::json{{"project", project},
                                    {"status", "not running"},
                                    {"services", nlohmann::json::object()}}
                         .dump()
                  << "\n";
      std::cerr << "project " << project << ": nothing is running (run `biodev up`)\n";
      return 2;
    }
    const profile::Profile* prof = nullptr;
    try {
      prof = &ctx.profile();
    } catch (const profile::ProfileError&) {
    }
    std::vector<Row> rows = health_rows(client, obs, prof, std::chrono::milliseconds(*timeout_ms));
    bool healthy = std::all_of(rows.begin(), rows.end(),
                               [](const Row& r) { return r.healthy || !r.required; });
    (ctx.options.json ? print_json : print_table)(project, rows, healthy);
    return healthy ? 0 : 1;
  };
}

}  // namespace biodev::cli
