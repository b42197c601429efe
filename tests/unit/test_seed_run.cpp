// run_seed: dispatch on the seed kind, port resolution, progress events, and the
// "service <name>: " errors with secrets kept out.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "seed/seed.h"
#include "test_seed_server.h"
#include "util/error.h"

using namespace biodev;
using namespace biodev::seed;
using biodev::seed::testing::FakeServer;
using biodev::seed::testing::reply;
using biodev::seed::testing::SeenRequest;

namespace {

struct RecordingReporter : progress::Reporter {
  std::vector<progress::Event> events;
  void event(const progress::Event& e) override { events.push_back(e); }
  void message(progress::Level, const std::string&) override {}
  void finish() override {}
};

profile::Service qdrant_service() {
  profile::Service s;
  s.name = "qdrant";
  s.seed.kind = profile::SeedSpec::Kind::kQdrant;
  s.seed.collections = {{"papers", 4, "Cosine"}, {"chunks", 8, "Dot"}};
  return s;
}

// The message of the Error that running `ctx` throws; "" when it does not throw.
std::string failure(const SeedContext& ctx) {
  try {
    run_seed(ctx);
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::kFailed);
    return e.what();
  }
  return {};
}

}  // namespace

TEST_CASE("run_seed: a service without a seed does nothing") {
  profile::Service s;
  s.name = "redis";
  SeedContext ctx;
  ctx.service = &s;
  auto summary = run_seed(ctx);
  CHECK(summary.applied == 0);
  CHECK(summary.unchanged == 0);
}

TEST_CASE("run_seed: qdrant through the published port, with progress events") {
  FakeServer server([](const SeenRequest& r) {
    if (r.method == "GET") return reply(404, R"({"status":{"error":"Not found"}})");
    return reply(200, R"({"result":true,"status":"ok"})");
  });
  auto s = qdrant_service();
  RecordingReporter reporter;
  SeedContext ctx;
  ctx.service = &s;
  ctx.published = {{6333, server.port()}};
  ctx.reporter = &reporter;
  auto summary = run_seed(ctx);
  CHECK(summary.applied == 2);
  CHECK(summary.notes.size() == 2);
  REQUIRE(reporter.events.size() == 2);
  CHECK(reporter.events[0].subject == "qdrant");
  CHECK(reporter.events[0].state == "seeding");
  CHECK(reporter.events[0].detail == "collection papers");
}

TEST_CASE("run_seed: qdrant's ready port wins over 6333") {
  FakeServer server([](const SeenRequest&) {
    return reply(200,
                 R"({"result":{"config":{"params":{"vectors":{"size":4,"distance":"Cosine"}}}}})");
  });
  auto s = qdrant_service();
  s.seed.collections.resize(1);
  s.ready.port = 7333;
  SeedContext ctx;
  ctx.service = &s;
  ctx.published = {{7333, server.port()}, {6333, 1}};
  CHECK(run_seed(ctx).unchanged == 1);
}

TEST_CASE("run_seed: an unpublished port is an error naming the service") {
  auto s = qdrant_service();
  SeedContext ctx;
  ctx.service = &s;
  std::string msg = failure(ctx);
  CHECK(msg.rfind("service qdrant: ", 0) == 0);
  CHECK(msg.find("port 6333 is not published") != std::string::npos);
}

TEST_CASE("run_seed: s3 falls back to the first port; errors never show the secret") {
  const std::string secret = "very-secret-s3-key";
  // A server that echoes the secret in its error, as a misconfigured proxy might.
  FakeServer server([&](const SeenRequest& r) {
    if (r.method == "HEAD") return reply(404);
    return reply(500, "<Error><Code>Boom</Code><Message>key " + secret + "</Message></Error>",
                 "application/xml");
  });
  profile::Service s;
  s.name = "minio";
  s.ports.push_back({"127.0.0.1", 0, 9000, "tcp", {}});
  s.seed.kind = profile::SeedSpec::Kind::kS3;
  s.seed.access_key = "AKTEST";
  s.seed.secret_key = secret;
  s.seed.buckets = {{"raw"}};
  SeedContext ctx;
  ctx.service = &s;
  ctx.published = {{9000, server.port()}};
  std::string msg = failure(ctx);
  CHECK(msg.rfind("service minio: bucket raw: ", 0) == 0);
  CHECK(msg.find(secret) == std::string::npos);
  CHECK(msg.find("********") != std::string::npos);
  CHECK(server.requests().size() == 2);
}

TEST_CASE("run_seed: postgres with no scripts needs no connection") {
  profile::Service s;
  s.name = "postgres";
  s.seed.kind = profile::SeedSpec::Kind::kPostgres;
  s.seed.scripts_dir = "/nonexistent/init-scripts/postgres";
  SeedContext ctx;
  ctx.service = &s;
  CHECK(run_seed(ctx).applied == 0);
}

TEST_CASE("run_seed: postgres connection failures name the service, not the password") {
  char tmpl[] = "/tmp/biodev-seed-run-XXXXXX";
  std::filesystem::path dir = ::mkdtemp(tmpl);
  std::ofstream(dir / "01.sql") << "SELECT 1;";
  profile::Service s;
  s.name = "postgres";
  s.env = {{"POSTGRES_USER", "bio"}, {"POSTGRES_PASSWORD", "pg-pass-123"}};
  s.seed.kind = profile::SeedSpec::Kind::kPostgres;
  s.seed.scripts_dir = dir.string();
  SeedContext ctx;
  ctx.service = &s;
  CHECK(failure(ctx).find("port 5432 is not published") != std::string::npos);
  ctx.published = {{5432, 1}};  // nothing listens on port 1
  std::string msg = failure(ctx);
  CHECK(msg.rfind("service postgres: cannot connect to 127.0.0.1:1 as bio", 0) == 0);
  CHECK(msg.find("pg-pass-123") == std::string::npos);
  std::filesystem::remove_all(dir);
}
