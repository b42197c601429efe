#include "seed/seed.h"

#include <filesystem>

#include "seed/common.h"
#include "seed/ledger.h"
#include "seed/postgres.h"
#include "seed/qdrant.h"
#include "seed/s3.h"
#include "util/error.h"
#include "util/redact.h"
#include "util/strings.h"

namespace biodev::seed {
namespace {

using profile::SeedSpec;

// The host port for a container port: the engine's published map first, then a fixed
// host port from the profile.
int host_port(const SeedContext& ctx, int container_port) {
  if (auto it = ctx.published.find(container_port); it != ctx.published.end()) return it->second;
  for (const auto& p : ctx.service->ports)
    if (p.container_port == container_port && p.host_port != 0) return p.host_port;
  throw SeedFailure("port " + std::to_string(container_port) +
                    " is not published on the host, so biodev cannot reach it to seed");
}

std::string first_set(std::initializer_list<std::string> values) {
  for (const auto& v : values)
    if (!v.empty()) return v;
  return {};
}

// The service's Postgres as the host reaches it. The official image's contract, which
// biodev's own postgres image follows too: the server was initialized with exactly
// these user, password and database.
PostgresTarget postgres_target(const SeedContext& ctx) {
  const profile::Service& s = *ctx.service;
  PostgresTarget t;
  t.host = ctx.host;
  t.container_port = s.ready.port ? s.ready.port : 5432;
  t.port = host_port(ctx, t.container_port);
  t.user = first_set({s.env_value("POSTGRES_USER"), "postgres"});
  t.password = s.env_value("POSTGRES_PASSWORD");
  t.database = first_set({s.env_value("POSTGRES_DB"), t.user});
  return t;
}

std::string current_dir() {
  std::error_code ec;
  auto p = std::filesystem::current_path(ec);
  return ec ? std::string() : p.string();
}

SeedSummary run_postgres(const SeedContext& ctx, const Progress& progress) {
  const profile::Service& s = *ctx.service;
  // Nothing to run needs no port and no connection (and leaves no ledger table behind).
  if (list_scripts(s.seed.scripts_dir).empty()) return {};
  PostgresTarget t = postgres_target(ctx);

  PostgresSeedOptions o;
  o.scripts_dir = s.seed.scripts_dir;
  o.shown_dir = display_dir(s.seed.scripts_dir, current_dir());
  o.reseed = ctx.reseed;
  o.progress = progress;
  if (ctx.client && !ctx.container_id.empty()) {
    docker::Client* client = ctx.client;
    std::string id = ctx.container_id;
    o.shell = [client, id](const std::vector<std::string>& cmd,
                           const std::vector<std::string>& env) {
      return client->exec(id, cmd, env);
    };
  }
  return seed_postgres(t, o);
}

SeedSummary run_s3(const SeedContext& ctx, const Progress& progress) {
  const profile::Service& s = *ctx.service;
  S3Target t;
  t.host = ctx.host;
  int port = s.ready.port;
  if (!port && !s.ports.empty()) port = s.ports.front().container_port;
  if (!port) throw SeedFailure("the service publishes no port to reach its S3 API on");
  t.port = host_port(ctx, port);
  t.creds = {s.seed.access_key, s.seed.secret_key, s.seed.region, "s3"};
  if (t.creds.region.empty()) t.creds.region = "us-east-1";
  return seed_s3(t, s.seed.buckets, progress);
}

SeedSummary run_qdrant(const SeedContext& ctx, const Progress& progress) {
  const profile::Service& s = *ctx.service;
  QdrantTarget t;
  t.host = ctx.host;
  t.port = host_port(ctx, s.ready.port ? s.ready.port : 6333);
  t.api_key = s.env_value("QDRANT__SERVICE__API_KEY");
  return seed_qdrant(t, s.seed.collections, progress);
}

// Secrets that could surface in a message: a server echoing a connection string, a
// script printing its environment.
Redactor service_redactor(const profile::Service& s) {
  Redactor r;
  for (const auto& [k, v] : s.env)
    if (is_secret_name(k)) r.add(v);
  r.add(s.ready.password);
  r.add(s.seed.secret_key);
  return r;
}

}  // namespace

std::string seed_result(const SeedContext& ctx) {
  if (!ctx.service) return "";
  const profile::Service& s = *ctx.service;
  switch (s.seed.kind) {
    case SeedSpec::Kind::kNone:
      return "";
    case SeedSpec::Kind::kS3:
      return std::to_string(s.seed.buckets.size()) + " bucket(s) declared";
    case SeedSpec::Kind::kQdrant:
      return std::to_string(s.seed.collections.size()) + " collection(s) declared";
    case SeedSpec::Kind::kPostgres:
      break;
  }
  try {
    PostgresTarget t = postgres_target(ctx);
    t.connect_timeout_s = 2;
    auto rows = read_postgres_ledger(t);
    if (rows.empty()) return "not seeded yet";
    return std::to_string(rows.size()) + " script(s) applied, last " + rows.front().name + " at " +
           rows.front().applied_at;
  } catch (const std::exception& e) {
    std::string msg = service_redactor(s)(global_redactor()(e.what()));
    throw Error(ExitCode::kFailed, "service " + s.name + ": " + msg);
  }
}

SeedSummary run_seed(const SeedContext& ctx) {
  if (!ctx.service) throw Error(ExitCode::kFailed, "seed: no service given");
  const profile::Service& s = *ctx.service;
  Progress progress = [&ctx, &s](const std::string& detail) {
    if (!ctx.reporter) return;
    progress::Event e;
    e.subject = s.name;
    e.state = "seeding";
    e.detail = detail;
    ctx.reporter->event(e);
  };
  try {
    switch (s.seed.kind) {
      case SeedSpec::Kind::kNone:
        return {};
      case SeedSpec::Kind::kPostgres:
        return run_postgres(ctx, progress);
      case SeedSpec::Kind::kS3:
        return run_s3(ctx, progress);
      case SeedSpec::Kind::kQdrant:
        return run_qdrant(ctx, progress);
    }
    return {};
  } catch (const std::exception& e) {
    std::string msg = service_redactor(s)(global_redactor()(e.what()));
    throw Error(ExitCode::kFailed, "service " + s.name + ": " + msg);
  }
}

}  // namespace biodev::seed
