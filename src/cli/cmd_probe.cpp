// `biodev probe URL`: one readiness probe, for Docker healthchecks inside biodev's own
// image (which has no curl). tcp://host:port, http://host:port/path, redis://host:port,
// postgres://user@host:port/db. Exit 0 when ready, 1 when not.
#include <iostream>
#include <regex>

#include "cli/commands.h"
#include "health/probe.h"

namespace biodev::cli {

health::ProbeTarget parse_probe_url(const std::string& url) {
  static const std::regex re(R"(^(tcp|http|redis|postgres)://(?:([^@/]+)@)?([^:/]+):(\d+)(/.*)?$)");
  std::smatch m;
  if (!std::regex_match(url, m, re))
    throw UsageError("bad probe URL \"" + url + "\": use tcp://HOST:PORT, http://HOST:PORT/PATH, "
                     "redis://HOST:PORT or postgres://USER@HOST:PORT/DB");
  health::ProbeTarget t;
  std::string scheme = m[1];
  t.spec.kind = scheme == "tcp"     ? profile::ProbeSpec::Kind::kTcp
                : scheme == "http"  ? profile::ProbeSpec::Kind::kHttp
                : scheme == "redis" ? profile::ProbeSpec::Kind::kRedis
                                    : profile::ProbeSpec::Kind::kPostgres;
  t.host = m[3];
  t.port = std::stoi(m[4]);
  t.spec.port = t.port;
  std::string path = m[5].matched ? std::string(m[5]) : "/";
  if (t.spec.kind == profile::ProbeSpec::Kind::kPostgres) {
    t.spec.user = m[2];
    t.spec.database = path.size() > 1 ? path.substr(1) : "";
  } else {
    t.spec.path = path;
  }
  return t;
}

Runner setup_probe(CLI::App& sub, Context& ctx) {
  auto url = std::make_shared<std::string>();
  auto timeout_ms = std::make_shared<int>(2000);
  sub.add_option("url", *url, "What to probe")->required();
  sub.add_option("--timeout-ms", *timeout_ms, "Give up after this long");
  return [&ctx, url, timeout_ms] {
    health::ProbeTarget t = parse_probe_url(*url);
    health::ProbeResult r = health::probe_once(t, std::chrono::milliseconds(*timeout_ms));
    if (!ctx.options.json) std::cout << (r.ok ? "ok" : "not ready") << ": " << r.detail << "\n";
    else std::cout << nlohmann::json{{"ok", r.ok}, {"detail", r.detail}, {"latency_ms", r.latency.count() / 1000.0}}.dump() << "\n";
    return r.ok ? 0 : 1;
  };
}

}  // namespace biodev::cli
