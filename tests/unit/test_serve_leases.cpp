// The pure half of leases: configuration round trip and validation, object names and
// the ids read back from them, the env a holder gets, and the HTTP handler's answers
// that need no store (no worker threads run here).
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "serve/lease_config.h"
#include "serve/leases.h"

using namespace biodev;
using nlohmann::json;

namespace {

lease::LeaseConfig sample() {
  lease::LeaseConfig c;
  c.postgres =
      lease::PostgresStore{"postgres", 5432, "bio", "pw", "bio", {{"01_a.sql", "SELECT 1;"}}};
  c.redis = lease::RedisStore{"redis", 6379, ""};
  c.s3 = lease::S3Store{"minio", 9000, "AK", "SK", "us-east-1", {"raw", "logs"}};
  c.qdrant = lease::QdrantStore{"qdrant", 6333, "", {{"documents", 384, "Cosine"}}};
  c.host_env = {{"DATABASE_URL", "postgresql://bio:pw@127.0.0.1:32768/bio"},
                {"REDIS_URL", "redis://127.0.0.1:32769/0"},
                {"S3_ENDPOINT", "http://127.0.0.1:32770"},
                {"S3_FORCE_PATH_STYLE", "true"},
                {"AWS_ACCESS_KEY_ID", "AK"},
                {"QDRANT_URL", "http://127.0.0.1:32771"},
                {"INFERENCE_URL", "http://127.0.0.1:32772"}};
  return c;
}

serve::Request request(std::string method, std::string target, std::string body = "") {
  serve::Request r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.body = std::move(body);
  return r;
}

}  // namespace

TEST_CASE("lease config: JSON round trip keeps every store") {
  auto c = sample();
  auto back = lease::config_from_json(lease::to_json(c));
  REQUIRE(back.postgres);
  CHECK(back.postgres->scripts.at(0).name == "01_a.sql");
  CHECK(back.s3->buckets == std::vector<std::string>{"raw", "logs"});
  CHECK(back.qdrant->collections.at(0).size == 384);
  CHECK(back.host_env == c.host_env);
  CHECK(lease::slice_digest(back) == lease::slice_digest(c));
}

TEST_CASE("lease config: errors name the field") {
  CHECK_THROWS_WITH(lease::config_from_json(json::parse(R"({"postgres": {"host": "p"}})")),
                    "postgres.port is missing");
  CHECK_THROWS_WITH(
      lease::config_from_json(json::parse(R"({"redis": {"host": "r", "port": "x"}})")),
      "redis.port has the wrong type");
  CHECK_THROWS_WITH(lease::config_from_json(json::parse("[]")),
                    "the configuration must be a JSON object");
  std::string long_bucket(47, 'b');
  json j = lease::to_json(sample());
  j["s3"]["buckets"] = {long_bucket};
  CHECK_THROWS_AS(lease::config_from_json(j), std::invalid_argument);
}

TEST_CASE("lease config: digests move with what a slice is cut from, not with host addresses") {
  auto a = sample(), b = sample();
  b.host_env["DATABASE_URL"] = "postgresql://bio:pw@10.0.0.2:5432/bio";
  CHECK(lease::slice_digest(a) == lease::slice_digest(b));
  b.s3->buckets.push_back("more");
  CHECK(lease::slice_digest(a) != lease::slice_digest(b));
  auto c = sample();
  c.postgres->scripts[0].content = "SELECT 2;";
  CHECK(lease::template_digest(*a.postgres) != lease::template_digest(*c.postgres));
}

TEST_CASE("lease names: made and read back") {
  const std::string id = "0123456789";
  CHECK(lease::valid_lease_id(id));
  CHECK_FALSE(lease::valid_lease_id("012345678"));
  CHECK_FALSE(lease::valid_lease_id("01234567zz"));
  CHECK(lease::database_name(id) == "biodev_lease_0123456789");
  CHECK(lease::id_of_database("biodev_lease_0123456789") == id);
  CHECK(lease::id_of_database(lease::kTemplateDatabase).empty());
  CHECK(lease::id_of_database("bio").empty());
  CHECK(lease::bucket_name(id, "raw") == "lease-0123456789-raw");
  CHECK(lease::id_of_bucket("lease-0123456789-raw") == id);
  CHECK(lease::id_of_bucket("raw").empty());
  CHECK(lease::id_of_bucket("lease-0123456789x-raw").empty());
  CHECK(lease::id_of_collection(lease::collection_prefix(id) + "documents") == id);
  CHECK(lease::id_of_collection("documents").empty());
}

TEST_CASE("with_url_path replaces only the path") {
  CHECK(lease::with_url_path("postgresql://u:p@h:1/bio", "x") == "postgresql://u:p@h:1/x");
  CHECK(lease::with_url_path("postgresql://u:p@h:1/bio?sslmode=disable", "x") ==
        "postgresql://u:p@h:1/x?sslmode=disable");
  CHECK(lease::with_url_path("redis://127.0.0.1:6379/0", "7") == "redis://127.0.0.1:6379/7");
  CHECK(lease::with_url_path("redis://127.0.0.1:6379", "7") == "redis://127.0.0.1:6379/7");
  CHECK(lease::with_url_path("redis://h:1?x=1", "3") == "redis://h:1/3?x=1");
}

TEST_CASE("lease env: the slice's names on the host's addresses") {
  auto env = lease::lease_env(sample(), "0123456789", 5);
  CHECK(env["DATABASE_URL"] == "postgresql://bio:pw@127.0.0.1:32768/biodev_lease_0123456789");
  CHECK(env["REDIS_URL"] == "redis://127.0.0.1:32769/5");
  CHECK(env["S3_ENDPOINT"] == "http://127.0.0.1:32770");
  CHECK(env["S3_BUCKETS"] == "lease-0123456789-raw,lease-0123456789-logs");
  CHECK(env["S3_FORCE_PATH_STYLE"] == "true");
  CHECK(env["AWS_ACCESS_KEY_ID"] == "AK");
  CHECK(env["QDRANT_URL"] == "http://127.0.0.1:32771");
  CHECK(env["QDRANT_COLLECTION_PREFIX"] == "lease_0123456789_");
  CHECK_FALSE(env.count("INFERENCE_URL"));  // not a store: shared, not leased

  auto no_qdrant = sample();
  no_qdrant.qdrant.reset();
  CHECK_FALSE(lease::lease_env(no_qdrant, "0123456789", 5).count("QDRANT_COLLECTION_PREFIX"));
}

TEST_CASE("lease handler: answers that need no store") {
  serve::LeasePool pool(serve::LeaseServerConfig{});
  auto r = pool.handle(request("POST", "/leases"));
  CHECK(r.status == 503);
  CHECK(r.body.find("no configuration") != std::string::npos);
  CHECK(nlohmann::json::parse(r.body)["configured"] == false);
  CHECK(pool.handle(request("DELETE", "/leases/0123456789")).status == 404);
  CHECK(pool.handle(request("GET", "/leases/0123456789")).status == 404);
  CHECK(pool.handle(request("PUT", "/config", "{nope")).status == 400);
  auto bad = pool.handle(request("PUT", "/config", R"({"redis": {"host": "r"}})"));
  CHECK(bad.status == 400);
  CHECK(bad.body.find("redis.port is missing") != std::string::npos);
  CHECK(pool.handle(request("GET", "/nowhere")).status == 404);
  auto health = json::parse(pool.handle(request("GET", "/health")).body);
  CHECK(health["configured"] == false);

  CHECK(pool.handle(request("PUT", "/config", lease::to_json(sample()).dump())).status == 204);
  CHECK(json::parse(pool.handle(request("GET", "/health")).body)["configured"] == true);
  CHECK(pool.handle(request("POST", "/leases?ttl=abc")).status == 400);
  // Configured but nothing ready yet: the reply waits for a slice.
  CHECK(pool.handle(request("POST", "/leases")).deferred);
  auto list = json::parse(pool.handle(request("GET", "/leases")).body);
  CHECK(list["leases"].empty());
}

TEST_CASE("lease handler: POST /leases/warm raises the pool's target for a while") {
  serve::LeaseServerConfig opt;  // pool 2 to 8
  serve::LeasePool pool(opt);
  auto target = [&] { return json::parse(pool.handle(request("GET", "/leases")).body)["pool"]; };
  CHECK(target()["target"] == 2);
  auto r = pool.handle(request("POST", "/leases/warm?n=20&for=60"));
  REQUIRE(r.status == 200);
  auto j = json::parse(r.body);
  CHECK(j["announced"] == 20);
  CHECK(j["for_s"] == 60);
  CHECK(j["target"] == 20);  // above BIODEV_LEASES_POOL_MAX: announced demand
  CHECK(target()["announced"] == 20);
  CHECK(json::parse(pool.handle(request("POST", "/leases/warm?n=0")).body)["target"] == 2);

  auto bad = pool.handle(request("POST", "/leases/warm?n=65"));
  CHECK(bad.status == 400);
  CHECK(json::parse(bad.body)["error"] ==
        "n=65: expected the number of leases wanted ready, 0 to 64");
  CHECK(pool.handle(request("POST", "/leases/warm")).status == 400);
  CHECK(pool.handle(request("POST", "/leases/warm?n=-1")).status == 400);
  CHECK(json::parse(pool.handle(request("POST", "/leases/warm?n=4&for=0")).body)["error"] ==
        "for=0: expected whole seconds, 1 to 86400");
  CHECK(pool.handle(request("GET", "/leases/warm")).status == 405);
}
