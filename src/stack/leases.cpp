#include "stack/leases.h"

#include <nlohmann/json.hpp>
#include <tuple>

#include "plan/exports.h"
#include "seed/ledger.h"
#include "util/error.h"
#include "util/strings.h"

namespace biodev::stack {
namespace {

using profile::ProbeSpec;
using profile::SeedSpec;

constexpr int kLeasePort = 8090;

// The variant of `s` that runs: its offline one when the container says so.
const profile::Service& running(const profile::Service& s,
                                const std::map<std::string, std::string>& variants) {
  auto it = variants.find(s.name);
  if (it != variants.end() && it->second == "offline" && s.offline) return *s.offline;
  return s;
}

int container_port(const profile::Service& s, int fallback) {
  if (s.ready.port) return s.ready.port;
  if (!s.ports.empty()) return s.ports.front().container_port;
  return fallback;
}

std::string first_set(std::initializer_list<std::string> values) {
  for (const auto& v : values)
    if (!v.empty()) return v;
  return {};
}

}  // namespace

const profile::Service* lease_service(const profile::Profile& p) {
  for (const auto& s : p.services) {
    const auto& c = s.command;
    if (c.size() >= 2 && c[c.size() - 2] == "serve" && c.back() == "leases") return &s;
  }
  return nullptr;
}

lease::LeaseConfig lease_config_for(
    const profile::Profile& p, const plan::ObservedState& observed,
    const std::vector<std::pair<std::string, std::string>>& host_env, bool with_scripts) {
  lease::LeaseConfig c;
  auto variants = plan::running_variants(observed);
  for (const auto& base : p.services) {
    const profile::Service& s = running(base, variants);
    if (!c.postgres &&
        (s.seed.kind == SeedSpec::Kind::kPostgres || s.ready.kind == ProbeSpec::Kind::kPostgres)) {
      lease::PostgresStore pg;
      pg.host = s.name;
      pg.port = container_port(s, 5432);
      pg.user = first_set({s.env_value("POSTGRES_USER"), "postgres"});
      pg.password = s.env_value("POSTGRES_PASSWORD");
      pg.database = first_set({s.env_value("POSTGRES_DB"), pg.user});
      if (with_scripts && s.seed.kind == SeedSpec::Kind::kPostgres) {
        for (const auto& f : seed::list_scripts(s.seed.scripts_dir)) {
          if (f.shell())
            throw Error(ExitCode::kFailed,
                        "service " + s.name + ": " + f.name +
                            " is a shell script, which the lease service cannot run to build"
                            " its template database; leases need .sql seed scripts");
          pg.scripts.push_back({f.name, f.content});
        }
      }
      c.postgres = std::move(pg);
    } else if (!c.redis && s.ready.kind == ProbeSpec::Kind::kRedis) {
      c.redis = lease::RedisStore{s.name, container_port(s, 6379), ""};
    } else if (!c.s3 && s.seed.kind == SeedSpec::Kind::kS3) {
      lease::S3Store s3;
      s3.host = s.name;
      s3.port = container_port(s, 9000);
      s3.access_key = s.seed.access_key;
      s3.secret_key = s.seed.secret_key;
      if (!s.seed.region.empty()) s3.region = s.seed.region;
      for (const auto& b : s.seed.buckets) s3.buckets.push_back(b.name);
      c.s3 = std::move(s3);
    } else if (!c.qdrant && s.seed.kind == SeedSpec::Kind::kQdrant) {
      lease::QdrantStore q;
      q.host = s.name;
      q.port = container_port(s, 6333);
      q.api_key = s.env_value("QDRANT__SERVICE__API_KEY");
      for (const auto& col : s.seed.collections)
        q.collections.push_back({col.name, col.size, col.distance});
      c.qdrant = std::move(q);
    }
  }
  for (const auto& [k, v] : host_env) c.host_env[k] = v;
  return c;
}

lease::LeaseConfig host_stores(const profile::Profile& p, const plan::ObservedState& observed) {
  lease::LeaseConfig c = lease_config_for(p, observed, {}, false);
  auto ports = plan::published_ports(observed);
  // Each store's host is its service's name: moved to where its port is published.
  auto to_host = [&ports, &p](auto& store) {
    if (!store) return;
    auto svc = ports.find(store->host);
    if (svc == ports.end() || !svc->second.count(store->port))
      throw Error(ExitCode::kFailed, "service " + store->host + " of project " + p.project +
                                         " is not running (or publishes no port " +
                                         std::to_string(store->port) +
                                         "): `biodev up` (or `unpause`) first");
    std::tie(store->host, store->port) = svc->second.at(store->port);
  };
  to_host(c.postgres);
  to_host(c.redis);
  to_host(c.s3);
  to_host(c.qdrant);
  return c;
}

std::string LeaseApi::url() const {
  return "http://" + host + ":" + std::to_string(port) + "/leases";
}

LeaseApi find_lease_api(const profile::Profile& p, const plan::ObservedState& observed) {
  const profile::Service* s = lease_service(p);
  if (!s)
    throw UsageError("the profile of project " + p.project +
                     " has no lease service (one running `biodev serve leases`; docs/leases.md)");
  auto ports = plan::published_ports(observed);
  auto it = ports.find(s->name);
  int want = container_port(*s, kLeasePort);
  if (it == ports.end() || !it->second.count(want))
    throw Error(ExitCode::kFailed, "service " + s->name + " of project " + p.project +
                                       " is not running or publishes no port " +
                                       std::to_string(want) + ": run `biodev up` first");
  auto [host, port] = it->second.at(want);
  return {host, port};
}

seed::HttpResponse lease_call(const LeaseApi& api, const std::string& method,
                              const std::string& target, const std::string& body) {
  seed::HttpRequest req;
  req.method = method;
  req.target = target;
  req.body = body;
  if (!body.empty()) req.headers.emplace_back("Content-Type", "application/json");
  try {
    return seed::http_request(api.host, api.port, req, std::chrono::seconds(60));
  } catch (const seed::HttpError& e) {
    throw Error(ExitCode::kFailed,
                std::string("the lease service at ") + api.url() + ": " + e.what());
  }
}

void send_lease_config(const profile::Profile& p, docker::Client& client) {
  plan::ObservedState obs = plan::observe(client, p.project);
  LeaseApi api = find_lease_api(p, obs);
  auto env = plan::resolve_exports(p, plan::published_ports(obs), plan::running_variants(obs));
  lease::LeaseConfig config = lease_config_for(p, obs, env);
  auto r = lease_call(api, "PUT", "/config", lease::to_json(config).dump());
  if (r.status != 204)
    throw Error(ExitCode::kFailed, "service " + lease_service(p)->name +
                                       " refused its configuration: HTTP " +
                                       std::to_string(r.status) + " " + first_line(r.body));
}

}  // namespace biodev::stack
