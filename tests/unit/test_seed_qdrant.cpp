// Qdrant collection seeding against an in-test server speaking Qdrant's REST envelope.
#include <doctest/doctest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "seed/qdrant.h"
#include "test_seed_server.h"

using namespace biodev;
using namespace biodev::seed;
using biodev::seed::testing::FakeServer;
using biodev::seed::testing::reply;
using biodev::seed::testing::SeenRequest;
using json = nlohmann::json;

namespace {

std::string qdrant_error(const std::string& msg) {
  return json{{"status", {{"error", msg}}}, {"time", 0.0}}.dump();
}

// Collections in memory; "vectors" kept as given, so named vectors can be planted.
struct FakeQdrant {
  std::map<std::string, json> collections;
  std::string put_override;
  FakeServer server{[this](const SeenRequest& r) { return handle(r); }};

  std::string handle(const SeenRequest& r) {
    const std::string prefix = "/collections/";
    if (r.target.rfind(prefix, 0) != 0) return reply(404, qdrant_error("no route"));
    std::string name = r.target.substr(prefix.size());
    auto it = collections.find(name);
    if (r.method == "GET") {
      if (it == collections.end())
        return reply(404, qdrant_error("Not found: Collection `" + name + "` doesn't exist!"));
      json result = {{"status", "green"},
                     {"config", {{"params", {{"vectors", it->second}, {"shard_number", 1}}}}}};
      return reply(200, json{{"result", result}, {"status", "ok"}, {"time", 0.001}}.dump());
    }
    if (r.method == "PUT") {
      if (!put_override.empty()) return put_override;
      if (it != collections.end())
        return reply(409, qdrant_error("Collection `" + name + "` already exists!"));
      collections[name] = json::parse(r.body).at("vectors");
      return reply(200, json{{"result", true}, {"status", "ok"}, {"time", 0.01}}.dump());
    }
    return reply(405, qdrant_error("method"));
  }

  QdrantTarget target() const {
    QdrantTarget t;
    t.port = server.port();
    t.timeout = std::chrono::seconds(5);
    return t;
  }
};

}  // namespace

TEST_CASE("qdrant: a missing collection is created with the profile's vector") {
  FakeQdrant q;
  std::vector<std::string> progress;
  auto summary = seed_qdrant(q.target(), {{"papers", 384, "Cosine"}},
                             [&](const std::string& d) { progress.push_back(d); });
  CHECK(summary.applied == 1);
  CHECK(progress == std::vector<std::string>{"collection papers"});
  REQUIRE(q.collections.count("papers"));
  CHECK(q.collections["papers"] == json{{"size", 384}, {"distance", "Cosine"}});
  auto seen = q.server.requests();
  REQUIRE(seen.size() == 2);
  CHECK(seen[1].method == "PUT");
  CHECK(seen[1].header("content-type") == "application/json");
  CHECK(json::parse(seen[1].body) == json{{"vectors", {{"size", 384}, {"distance", "Cosine"}}}});

  // Idempotent: the second run only reads.
  auto again = seed_qdrant(q.target(), {{"papers", 384, "Cosine"}}, {});
  CHECK(again.applied == 0);
  CHECK(again.unchanged == 1);
  CHECK(q.server.requests().size() == 3);
}

TEST_CASE("qdrant: a collection with another size or distance is an error naming both") {
  FakeQdrant q;
  q.collections["papers"] = {{"size", 768}, {"distance", "Dot"}};
  try {
    ensure_collection(q.target(), {"papers", 384, "Cosine"});
    FAIL("expected SeedFailure");
  } catch (const SeedFailure& e) {
    std::string what = e.what();
    CHECK(what.find("collection papers") != std::string::npos);
    CHECK(what.find("size 768, Dot") != std::string::npos);
    CHECK(what.find("size 384, Cosine") != std::string::npos);
  }
  CHECK(q.server.requests().size() == 1);  // nothing was changed
  q.collections["papers"] = {{"size", 384}, {"distance", "Euclid"}};
  CHECK_THROWS_AS(ensure_collection(q.target(), {"papers", 384, "Cosine"}), SeedFailure);
}

TEST_CASE("qdrant: named vectors do not match a single-vector profile") {
  FakeQdrant q;
  q.collections["multi"] = {{"text", {{"size", 384}, {"distance", "Cosine"}}}};
  CHECK_THROWS_WITH_AS(ensure_collection(q.target(), {"multi", 384, "Cosine"}),
                       doctest::Contains("named vectors"), SeedFailure);
}

TEST_CASE("qdrant: a create race that ends with the same collection is unchanged") {
  FakeQdrant q;
  q.put_override = reply(409, qdrant_error("already exists"));
  // GET 404, PUT 409, then the collection shows up.
  int gets = 0;
  FakeServer racy([&](const SeenRequest& r) {
    if (r.method == "PUT") return q.put_override;
    if (gets++ == 0) return reply(404, qdrant_error("Not found"));
    return reply(
        200,
        json{{"result",
              {{"config", {{"params", {{"vectors", {{"size", 8}, {"distance", "Cosine"}}}}}}}}}}
            .dump());
  });
  QdrantTarget t;
  t.port = racy.port();
  CHECK(ensure_collection(t, {"c", 8, "Cosine"}) == Outcome::kUnchanged);
}

TEST_CASE("qdrant: failures carry Qdrant's error text") {
  FakeQdrant q;
  q.put_override = reply(400, qdrant_error("Wrong input: bad distance"));
  CHECK_THROWS_WITH_AS(ensure_collection(q.target(), {"c", 8, "Cosine"}),
                       doctest::Contains("collection c: creating it failed with HTTP 400 (Wrong "
                                         "input: bad distance)"),
                       SeedFailure);
  FakeServer locked([](const SeenRequest&) { return reply(401, qdrant_error("Unauthorized")); });
  QdrantTarget t;
  t.port = locked.port();
  CHECK_THROWS_WITH_AS(ensure_collection(t, {"c", 8, "Cosine"}), doctest::Contains("API key"),
                       SeedFailure);
}

TEST_CASE("qdrant: the API key is sent when set; names are escaped") {
  FakeQdrant q;
  QdrantTarget t = q.target();
  t.api_key = "qk-123";
  ensure_collection(t, {"a b", 4, "Dot"});
  auto seen = q.server.requests();
  REQUIRE_FALSE(seen.empty());
  CHECK(seen[0].target == "/collections/a%20b");
  CHECK(seen[0].header("api-key") == "qk-123");
}

TEST_CASE("qdrant: an unreachable server names the collection") {
  QdrantTarget t;
  t.port = 1;
  CHECK_THROWS_WITH_AS(seed_qdrant(t, {{"c", 8, "Cosine"}}, {}),
                       doctest::Contains("collection c: GET"), SeedFailure);
}
