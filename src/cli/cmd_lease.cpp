// `biodev lease`, `lease release ID`, `lease ls`, `lease warm N`: the lease service's
// HTTP API (docs/leases.md) for shell scripts.
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/commands.h"
#include "cli/env_format.h"
#include "stack/leases.h"
#include "cli/table.h"
#include "plan/state.h"

namespace biodev::cli {

using stack::find_lease_api;
using stack::lease_call;
using stack::LeaseApi;

namespace {

using nlohmann::json;

json parse_body(const seed::HttpResponse& r, const LeaseApi& api) {
  json j = json::parse(r.body, nullptr, false);
  if (j.is_discarded())
    throw Error(ExitCode::kFailed, "the lease service at " + api.url() + " answered no JSON");
  return j;
}

[[noreturn]] void refused(const seed::HttpResponse& r, const std::string& what) {
  json j = json::parse(r.body, nullptr, false);
  std::string msg = j.is_object() && j.contains("error") && j["error"].is_string()
                        ? j["error"].get<std::string>()
                        : r.body;
  throw Error(ExitCode::kFailed, what + ": HTTP " + std::to_string(r.status) + ": " + msg);
}

std::string seconds_text(const json& v) {
  if (!v.is_number()) return "-";
  long long s = static_cast<long long>(v.get<double>());
  if (s >= 3600) return std::to_string(s / 3600) + "h" + std::to_string(s % 3600 / 60) + "m";
  if (s >= 60) return std::to_string(s / 60) + "m" + std::to_string(s % 60) + "s";
  return std::to_string(s) + "s";
}

int release_lease(const LeaseApi& api, const std::string& id) {
  auto r = lease_call(api, "DELETE", "/leases/" + id);
  if (r.status != 204) refused(r, "lease " + id);
  std::cerr << "released lease " << id << "\n";
  return 0;
}

// Announces n leases wanted ready for for_s seconds; waits up to wait_s until they are.
int warm_leases(const LeaseApi& api, int n, int for_s, int wait_s) {
  std::string target = "/leases/warm?n=" + std::to_string(n) + "&for=" + std::to_string(for_s);
  auto r = lease_call(api, "POST", target);
  if (r.status == 400) throw UsageError("lease warm: " + parse_body(r, api).value("error", r.body));
  if (r.status != 200) refused(r, "lease warm");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait_s);
  size_t ready = parse_body(r, api).value("ready", 0);
  while (wait_s > 0 && ready < static_cast<size_t>(n)) {
    if (std::chrono::steady_clock::now() >= deadline) {
      std::cerr << "lease warm: " << ready << " of " << n << " leases ready after " << wait_s
                << "s (see `biodev lease ls` and `biodev logs leases`)\n";
      return static_cast<int>(ExitCode::kFailed);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto g = lease_call(api, "GET", "/leases");
    if (g.status != 200) refused(g, "listing leases");
    ready = parse_body(g, api)["pool"].value("ready", 0);
  }
  std::cerr << "lease warm: " << ready << " leases ready, " << n << " kept ready for " << for_s
            << "s\n";
  return 0;
}

int list_leases(const LeaseApi& api, bool as_json) {
  auto r = lease_call(api, "GET", "/leases");
  if (r.status != 200) refused(r, "listing leases");
  json j = parse_body(r, api);
  if (as_json) {
    std::cout << j.dump() << "\n";
    return 0;
  }
  Table t({"ID", "AGE", "EXPIRES IN", "KEEPALIVE", "DATABASE_URL"});
  for (const auto& l : j["leases"])
    t.add({l.value("id", ""), seconds_text(l.value("age_s", json())),
           seconds_text(l.value("expires_in_s", json())),
           l.value("keepalive", false) ? "yes" : "no", l["env"].value("DATABASE_URL", "-")});
  std::cout << t.render();
  const json& pool = j["pool"];
  std::cout << "pool: " << pool.value("ready", 0) << " ready, " << pool.value("making", 0)
            << " being made, target " << pool.value("target", 0) << "; " << pool.value("served", 0)
            << " leases served\n";
  return 0;
}

int take_lease(Context& ctx, const LeaseApi& api, int ttl, const std::string& format) {
  std::string target = "/leases";
  if (ttl >= 0) target += "?ttl=" + std::to_string(ttl);
  auto r = lease_call(api, "POST", target);
  json refusal = r.status == 503 ? json::parse(r.body, nullptr, false) : json();
  if (refusal.is_object() && refusal.value("configured", true) == false) {
    // The service restarted since `up` configured it: configure it again.
    stack::send_lease_config(ctx.profile(), ctx.client());
    r = lease_call(api, "POST", target);
  }
  if (r.status != 201) refused(r, "a new lease");
  json j = parse_body(r, api);
  std::vector<std::pair<std::string, std::string>> vars{{"BIODEV_LEASE_ID", j.value("id", "")}};
  for (const auto& [k, v] : j["env"].items()) vars.emplace_back(k, v.get<std::string>());
  std::cout << format_env(vars, ctx.options.json ? "json" : format);
  return 0;
}

}  // namespace

Runner setup_lease(CLI::App& sub, Context& ctx) {
  auto ttl = std::make_shared<int>(-1);
  auto format = std::make_shared<std::string>("shell");
  auto id = std::make_shared<std::string>();
  sub.add_option("--ttl", *ttl,
                 "Seconds until the lease is reclaimed if not released (0: never; default: the "
                 "service's, 3600)");
  sub.add_option("--format", *format, "shell (export K=V), dotenv, or json")
      ->check(CLI::IsMember({"shell", "dotenv", "json"}));
  auto release =
      sub.add_subcommand("release", "Release a lease: every part of its slice is dropped");
  release->add_option("id", *id, "The lease id (BIODEV_LEASE_ID)")->required();
  auto ls = sub.add_subcommand("ls", "List the leases held and the warm pool");
  auto warm = sub.add_subcommand(
      "warm", "Keep N leases ready (a suite's parallel workers), and wait until they are");
  auto count = std::make_shared<int>(0);
  auto for_s = std::make_shared<int>(600);
  auto wait_s = std::make_shared<int>(120);
  warm->add_option("n", *count, "Leases to keep ready (0 to 64; 0 ends an earlier warm)")
      ->required();
  warm->add_option("--for", *for_s, "Seconds to keep them ready for (default 600)")
      ->check(CLI::Range(1, 86400));
  warm->add_option("--wait", *wait_s,
                   "Seconds to wait for them to be ready (default 120; 0: do not wait)")
      ->check(CLI::Range(0, 3600));
  return [&ctx, ttl, format, id, release, ls, warm, count, for_s, wait_s]() -> int {
    const profile::Profile& p = ctx.profile();
    plan::ObservedState obs = plan::observe(ctx.client(), p.project);
    LeaseApi api = find_lease_api(p, obs);
    if (release->parsed()) return release_lease(api, *id);
    if (warm->parsed()) return warm_leases(api, *count, *for_s, *wait_s);
    if (ls->parsed()) return list_leases(api, ctx.options.json);
    return take_lease(ctx, api, *ttl, *format);
  };
}

}  // namespace biodev::cli
