#include "serve/lease_stores.h"

#include <libpq-fe.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "seed/postgres.h"
#include "seed/sigv4.h"
#include "store/clients.h"
#include "util/strings.h"

namespace biodev::lease {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

using store::qdrant_call;
using store::quote_ident;
using store::s3_call;
using store::s3_drop_bucket;
using store::s3_failed;
using store::s3_keys;
using store::s3_target;

// Runs `fn` for every bucket at once, one thread each: each S3 request is a connection
// of its own, and the server answers them in parallel. Rethrows the first failure.
void for_each_bucket(const std::vector<std::string>& buckets,
                     const std::function<void(const std::string&)>& fn) {
  std::vector<std::exception_ptr> errors(buckets.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < buckets.size(); ++i)
    threads.emplace_back([&, i] {
      try {
        fn(buckets[i]);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    });
  for (auto& th : threads) th.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

using Parts = std::vector<std::pair<const char*, std::function<void()>>>;

// Runs every store's part of a slice at once: the first here (Postgres, on the Stores'
// own connection), each other on a thread of its own; the stores are separate servers
// and answer in parallel. Sets `timings` to "<store> <ms>ms, ..." in the parts' order,
// and rethrows the first part's failure once every part has ended.
void run_parts(const Parts& parts, std::string& timings) {
  std::vector<std::exception_ptr> errors(parts.size());
  std::vector<long long> ms(parts.size(), 0);
  auto run = [&](size_t i) {
    auto t0 = Clock::now();
    try {
      parts[i].second();
    } catch (...) {
      errors[i] = std::current_exception();
    }
    ms[i] = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
  };
  std::vector<std::thread> threads;
  for (size_t i = 1; i < parts.size(); ++i) threads.emplace_back(run, i);
  if (!parts.empty()) run(0);
  for (auto& th : threads) th.join();
  timings.clear();
  for (size_t i = 0; i < parts.size(); ++i)
    timings += (i ? ", " : "") + std::string(parts[i].first) + " " + std::to_string(ms[i]) + "ms";
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace

// ---- Postgres: one admin connection to the seeded database ----

struct Stores::Postgres : store::PgConnection {
  explicit Postgres(const PostgresStore& s) : PgConnection(s, "biodev-leases") {}
};

Stores::Stores(std::shared_ptr<const LeaseConfig> config) : config_(std::move(config)) {}
Stores::~Stores() = default;

Stores::Postgres& Stores::pg() {
  if (!pg_ || !pg_->ok()) pg_ = std::make_unique<Postgres>(*config_->postgres);
  return *pg_;
}

bool Stores::template_current() {
  if (!config_->postgres) return true;
  auto r =
      pg().run("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1",
               {kTemplateDatabase});
  return PQntuples(r.get()) == 1 &&
         template_digest(*config_->postgres) == PQgetvalue(r.get(), 0, 0);
}

void Stores::build_template() {
  if (!config_->postgres) return;
  const PostgresStore& s = *config_->postgres;
  const std::string tpl = quote_ident(kTemplateDatabase);
  auto& c = pg();
  auto exists = c.run("SELECT 1 FROM pg_database WHERE datname = $1", {kTemplateDatabase});
  if (PQntuples(exists.get()) == 1) {
    c.run("ALTER DATABASE " + tpl + " IS_TEMPLATE false");
    c.run("DROP DATABASE " + tpl + " WITH (FORCE)");
  }
  c.run("CREATE DATABASE " + tpl);

  // The scripts go through seed_postgres, so the template gets the same ledger (and the
  // same errors) as the seeded database.
  char dir_template[] = "/tmp/biodev-lease-seed-XXXXXX";
  const char* dir = mkdtemp(dir_template);
  if (!dir)
    throw LeaseFailure("postgres template: cannot make a folder in /tmp for the seed scripts");
  struct Cleanup {
    std::string d;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(d, ec);
    }
  } cleanup{dir};
  for (const auto& f : s.scripts) {
    std::ofstream out(std::string(dir) + "/" + f.name, std::ios::binary);
    out << f.content;
    if (!out) throw LeaseFailure("postgres template: cannot write " + f.name + " in " + dir);
  }
  seed::PostgresTarget t;
  t.host = s.host;
  t.port = s.port;
  t.user = s.user;
  t.password = s.password;
  t.database = kTemplateDatabase;
  seed::PostgresSeedOptions o;
  o.scripts_dir = dir;
  o.shown_dir = "seed scripts";
  try {
    seed::seed_postgres(t, o);
  } catch (const seed::SeedFailure& e) {
    throw LeaseFailure(std::string("postgres template: ") + e.what());
  }
  c.run("ALTER DATABASE " + tpl + " WITH IS_TEMPLATE true ALLOW_CONNECTIONS false");
  c.run("COMMENT ON DATABASE " + tpl + " IS '" + template_digest(s) + "'");
}

void Stores::create_slice(const std::string& id, int redis_db) {
  const LeaseConfig& c = *config_;
  Parts parts;
  if (c.postgres)
    parts.emplace_back("postgres", [&] {
      // FILE_COPY (Postgres 15 and later; the only way before) copies the template's
      // files; the default WAL_LOG writes every block to the WAL, 3-10x slower for a
      // small template here.
      auto& c = pg();
      std::string strategy = c.server_version() >= 150000 ? " STRATEGY FILE_COPY" : "";
      c.run("CREATE DATABASE " + quote_ident(database_name(id)) + " TEMPLATE " +
            quote_ident(kTemplateDatabase) + strategy);
    });
  if (c.redis) parts.emplace_back("redis", [&] { flush_redis(redis_db); });
  if (c.s3)
    parts.emplace_back("s3", [&] {
      auto t = s3_target(*c.s3);
      for_each_bucket(c.s3->buckets, [&](const std::string& seeded) {
        const std::string bucket = bucket_name(id, seeded);
        auto r = s3_call(t, "PUT", "/" + bucket);
        if (r.status != 200) s3_failed("creating bucket " + bucket, r);
        for (const auto& key : s3_keys(t, seeded)) {
          std::string source = "/" + seed::sigv4::uri_encode(seeded + "/" + key, false);
          auto cp = s3_call(t, "PUT", "/" + bucket + "/" + key, {{"x-amz-copy-source", source}});
          if (cp.status != 200) s3_failed("copying " + seeded + "/" + key + " to " + bucket, cp);
        }
      });
    });
  if (c.qdrant)
    parts.emplace_back("qdrant", [&] {
      for (const auto& col : c.qdrant->collections) {
        const std::string name = collection_prefix(id) + col.name;
        json body = {{"vectors", {{"size", col.size}, {"distance", col.distance}}}};
        auto r = qdrant_call(*c.qdrant, "PUT",
                             "/collections/" + seed::sigv4::uri_encode(name, true), body.dump());
        if (r.status != 200)
          throw LeaseFailure("qdrant: creating collection " + name + ": HTTP " +
                             std::to_string(r.status) + " " + r.body.substr(0, 200));
      }
    });
  try {
    run_parts(parts, timings_);
  } catch (...) {
    try {
      drop_slice(id, redis_db);
    } catch (const std::exception&) {
      // The first failure is the one to report; the leftovers are dropped as orphans.
    }
    throw;
  }
}

void Stores::drop_slice(const std::string& id, int redis_db) {
  const LeaseConfig& c = *config_;
  Parts parts;
  if (c.postgres)
    parts.emplace_back("postgres", [&] {
      pg().run("DROP DATABASE IF EXISTS " + quote_ident(database_name(id)) + " WITH (FORCE)");
    });
  if (c.redis && redis_db > 0) parts.emplace_back("redis", [&] { flush_redis(redis_db); });
  if (c.s3)
    parts.emplace_back("s3", [&] {
      auto t = s3_target(*c.s3);
      for_each_bucket(c.s3->buckets, [&](const std::string& seeded) {
        s3_drop_bucket(t, bucket_name(id, seeded));
      });
    });
  if (c.qdrant)
    parts.emplace_back("qdrant", [&] {
      for (const auto& col : c.qdrant->collections) {
        const std::string name = collection_prefix(id) + col.name;
        auto r =
            qdrant_call(*c.qdrant, "DELETE", "/collections/" + seed::sigv4::uri_encode(name, true));
        if (r.status != 200 && r.status != 404)
          throw LeaseFailure("qdrant: deleting collection " + name + ": HTTP " +
                             std::to_string(r.status));
      }
    });
  run_parts(parts, timings_);
}

std::set<std::string> Stores::existing_ids() {
  const LeaseConfig& c = *config_;
  std::set<std::string> ids;
  auto add = [&ids](const std::string& id) {
    if (!id.empty()) ids.insert(id);
  };
  if (c.postgres) {
    auto r = pg().run("SELECT datname FROM pg_database WHERE datname LIKE 'biodev\\_lease\\_%'");
    for (int i = 0; i < PQntuples(r.get()); ++i) add(id_of_database(PQgetvalue(r.get(), i, 0)));
  }
  if (c.s3) {
    for (const auto& b : store::s3_buckets(s3_target(*c.s3))) add(id_of_bucket(b));
  }
  if (c.qdrant) {
    auto r = qdrant_call(*c.qdrant, "GET", "/collections");
    json j = json::parse(r.body, nullptr, false);
    if (r.status != 200 || !j.is_object())
      throw LeaseFailure("qdrant: listing collections: HTTP " + std::to_string(r.status));
    for (const auto& col : j.value("/result/collections"_json_pointer, json::array()))
      add(id_of_collection(col.value("name", "")));
  }
  return ids;
}

int Stores::redis_databases() {
  if (!config_->redis) return 0;
  store::RedisConnection r(*config_->redis);
  std::string reply = r.call({"CONFIG", "GET", "databases"});  // "databases\n16"
  size_t nl = reply.find('\n');
  return nl == std::string::npos ? 16 : std::stoi(reply.substr(nl + 1));
}

void Stores::flush_redis(int db) {
  store::RedisConnection r(*config_->redis);
  r.pipeline({{"SELECT", std::to_string(db)}, {"FLUSHDB"}});
}

}  // namespace biodev::lease
