#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "qdrant_standin_client.h"
#include "serve/qdrant_standin.h"
#include "util/error.h"

using namespace biodev::serve;
using json = nlohmann::json;
namespace fs = std::filesystem;

using namespace biodev::serve::testing;

TEST_CASE("the stand-in says what it is") {
  Client c;
  auto [status, j] = c.call("GET", "/");
  CHECK(status == 200);
  CHECK(j["title"] == "biodev qdrant stand-in (not Qdrant)");
  CHECK(j["version"].is_string());
  CHECK(c.call("GET", "/healthz").first == 200);
  CHECK(c.call("GET", "/readyz").first == 200);
  CHECK(c.call("GET", "/nope").first == 404);
}

TEST_CASE("collections: create, describe, exists, conflict, delete") {
  Client c;
  CHECK(c.ok("PUT", "/collections/docs", {{"vectors", {{"size", 3}, {"distance", "Cosine"}}}}) ==
        true);
  auto [status, err] =
      c.call("PUT", "/collections/docs", {{"vectors", {{"size", 3}, {"distance", "Dot"}}}});
  CHECK(status == 409);
  CHECK(err["status"]["error"] == "Wrong input: Collection `docs` already exists!");

  json info = c.ok("GET", "/collections/docs");
  CHECK(info["status"] == "green");
  CHECK(info["points_count"] == 0);
  CHECK(info["config"]["params"]["vectors"]["size"] == 3);
  CHECK(info["config"]["params"]["vectors"]["distance"] == "Cosine");
  CHECK(c.ok("GET", "/collections")["collections"] == json::array({{{"name", "docs"}}}));
  CHECK(c.ok("GET", "/collections/docs/exists")["exists"] == true);
  CHECK(c.ok("GET", "/collections/other/exists")["exists"] == false);

  auto [s404, e404] = c.call("GET", "/collections/other");
  CHECK(s404 == 404);
  CHECK(e404["status"]["error"] == "Not found: Collection `other` doesn't exist!");
  CHECK(c.call("PUT", "/collections/bad", {{"vectors", {{"size", 3}, {"distance", "L2"}}}}).first ==
        400);
  CHECK(
      c.call("PUT", "/collections/bad", {{"vectors", {{"size", 0}, {"distance", "Dot"}}}}).first ==
      400);
  CHECK(c.call("PUT", "/collections/bad", json::object()).first == 400);

  CHECK(c.ok("DELETE", "/collections/docs") == true);
  CHECK(c.ok("DELETE", "/collections/docs") == false);
  CHECK(c.ok("GET", "/collections/docs/exists")["exists"] == false);
}

TEST_CASE("points: upsert, get, search") {
  Client c;
  c.ok("PUT", "/collections/docs", {{"vectors", {{"size", 3}, {"distance", "Cosine"}}}});
  json op = c.ok("PUT", "/collections/docs/points?wait=true", points3());
  CHECK(op["status"] == "completed");
  CHECK(c.ok("GET", "/collections/docs")["points_count"] == 3);

  auto [dim_status, dim_err] =
      c.call("PUT", "/collections/docs/points", {{"points", {{{"id", 9}, {"vector", {1, 2}}}}}});
  CHECK(dim_status == 400);
  CHECK(dim_err["status"]["error"] ==
        "Wrong input: Vector dimension error: expected dim: 3, got 2");
  CHECK(
      c.call("PUT", "/collections/docs/points", {{"points", {{{"id", -1}, {"vector", {1, 2, 3}}}}}})
          .first == 400);

  json p = c.ok("GET", "/collections/docs/points/550e8400-e29b-41d4-a716-446655440000");
  CHECK(p["id"] == "550e8400-e29b-41d4-a716-446655440000");
  CHECK(p["payload"]["n"] == 3);
  CHECK(c.call("GET", "/collections/docs/points/77").first == 404);

  json hits = c.ok("POST", "/collections/docs/points/search",
                   {{"vector", {1, 0, 0}}, {"limit", 2}, {"with_payload", true}});
  REQUIRE(hits.size() == 2);
  CHECK(hits[0]["id"] == 1);
  CHECK(hits[0]["score"].get<double>() == doctest::Approx(1.0));
  CHECK(hits[0]["payload"]["city"] == "Berlin");
  CHECK(hits[1]["id"] == 2);
  CHECK(hits[1]["score"].get<double>() < 1.0);
  CHECK(hits[1]["vector"].is_null());

  json filtered =
      c.ok("POST", "/collections/docs/points/search",
           {{"vector", {1, 0, 0}},
            {"limit", 5},
            {"filter", {{"must", {{{"key", "city"}, {"match", {{"value", "Berlin"}}}}}}}}});
  REQUIRE(filtered.size() == 2);
  CHECK(filtered[0]["id"] == 1);
  CHECK(filtered[1]["id"] == "550e8400-e29b-41d4-a716-446655440000");
  CHECK(filtered[0]["payload"].is_null());
}

TEST_CASE("points: count, scroll, query, retrieve, delete") {
  Client c;
  c.ok("PUT", "/collections/docs", {{"vectors", {{"size", 3}, {"distance", "Cosine"}}}});
  c.ok("PUT", "/collections/docs/points", points3());
  CHECK(c.ok("POST", "/collections/docs/points/count")["count"] == 3);
  CHECK(c.ok("POST", "/collections/docs/points/count",
             {{"filter", {{"must", {{{"key", "n"}, {"range", {{"gte", 2}}}}}}}}})["count"] == 2);
  CHECK(c.ok("POST", "/collections/docs/points/count",
             {{"filter",
               {{"must", {{{"key", "tags"}, {"match", {{"any", {"b", "z"}}}}}}}}}})["count"] == 1);
  CHECK(c.call("POST", "/collections/docs/points/count", {{"filter", {{"must", {{{"geo", 1}}}}}}})
            .first == 400);

  json page = c.ok("POST", "/collections/docs/points/scroll", {{"limit", 2}});
  CHECK(page["points"].size() == 2);
  CHECK(page["points"][0]["id"] == 1);
  CHECK(page["next_page_offset"] == "550e8400-e29b-41d4-a716-446655440000");
  json rest = c.ok("POST", "/collections/docs/points/scroll",
                   {{"limit", 2}, {"offset", page["next_page_offset"]}});
  CHECK(rest["points"].size() == 1);
  CHECK(rest["next_page_offset"].is_null());

  json q = c.ok("POST", "/collections/docs/points/query", {{"query", {0, 0, 1}}, {"limit", 1}});
  CHECK(q["points"][0]["id"] == "550e8400-e29b-41d4-a716-446655440000");

  json got = c.ok("POST", "/collections/docs/points", {{"ids", {2, 5}}});
  REQUIRE(got.size() == 1);
  CHECK(got[0]["payload"]["city"] == "London");

  c.ok("POST", "/collections/docs/points/delete", {{"points", {1}}});
  CHECK(c.ok("POST", "/collections/docs/points/count")["count"] == 2);
  CHECK(c.call("POST", "/collections/docs/points/search", "not json").first == 400);
}

TEST_CASE("Euclid and Dot collections rank like Qdrant") {
  Client c;
  c.ok("PUT", "/collections/e", {{"vectors", {{"size", 2}, {"distance", "Euclid"}}}});
  c.ok("PUT", "/collections/e/points",
       {{"points", {{{"id", 1}, {"vector", {0, 0}}}, {{"id", 2}, {"vector", {3, 4}}}}}});
  json hits = c.ok("POST", "/collections/e/points/search", {{"vector", {3, 3}}, {"limit", 5}});
  CHECK(hits[0]["id"] == 2);  // nearest first; the score is the distance
  CHECK(hits[0]["score"].get<double>() == doctest::Approx(1.0));
  CHECK(hits[1]["score"].get<double>() == doctest::Approx(std::sqrt(18.0)));
  json near =
      c.ok("POST", "/collections/e/points/search", {{"vector", {3, 3}}, {"score_threshold", 2.0}});
  CHECK(near.size() == 1);

  c.ok("PUT", "/collections/d", {{"vectors", {{"size", 2}, {"distance", "Dot"}}}});
  c.ok("PUT", "/collections/d/points",
       {{"batch", {{"ids", {1, 2}}, {"vectors", {{1, 0}, {10, 0}}}}}});
  json dot = c.ok("POST", "/collections/d/points/search", {{"vector", {1, 0}}});
  CHECK(dot[0]["id"] == 2);
  CHECK(dot[0]["score"].get<double>() == doctest::Approx(10.0));
}

TEST_CASE("state survives a restart") {
  std::string dir = temp_dir();
  {
    Client c(dir);
    c.ok("PUT", "/collections/docs", {{"vectors", {{"size", 3}, {"distance", "Cosine"}}}});
    c.ok("PUT", "/collections/keep", {{"vectors", {{"size", 2}, {"distance", "Manhattan"}}}});
    c.ok("PUT", "/collections/docs/points", points3());
    CHECK(fs::exists(c.store.state_path()));
    CHECK(!fs::exists(c.store.state_path() + ".tmp"));
  }
  Client again(dir);
  again.store.load();
  CHECK(again.ok("GET", "/collections")["collections"].size() == 2);
  CHECK(again.ok("GET", "/collections/keep")["config"]["params"]["vectors"]["distance"] ==
        "Manhattan");
  json hits = again.ok("POST", "/collections/docs/points/search",
                       {{"vector", {0.9, 0.1, 0}}, {"limit", 1}, {"with_vector", true}});
  CHECK(hits[0]["id"] == 2);
  CHECK(hits[0]["score"].get<double>() == doctest::Approx(1.0));
  json p = again.ok("GET", "/collections/docs/points/1");
  CHECK(p["payload"] == json{{"city", "Berlin"}, {"n", 1}});
  CHECK(p["vector"] == json{1.0, 0.0, 0.0});

  { std::ofstream(again.store.state_path()) << "{broken"; }
  Client broken(dir);
  CHECK_THROWS_AS(broken.store.load(), biodev::Error);
  fs::remove_all(dir);
}

TEST_CASE("payload indexes: create, describe, delete, persist") {
  std::string dir = temp_dir();
  {
    Client c(dir);
    c.ok("PUT", "/collections/docs", {{"vectors", {{"size", 3}, {"distance", "Cosine"}}}});
    c.ok("PUT", "/collections/docs/points", points3());
    json op = c.ok("PUT", "/collections/docs/index?wait=true",
                   {{"field_name", "city"}, {"field_schema", "keyword"}});
    CHECK(op["status"] == "completed");
    CHECK(op["operation_id"].is_number_unsigned());
    json async = c.ok("PUT", "/collections/docs/index?wait=false",
                      {{"field_name", "tags"}, {"field_schema", {{"type", "keyword"}}}});
    CHECK(async["status"] == "acknowledged");
    json schema = c.ok("GET", "/collections/docs")["payload_schema"];
    CHECK(schema["city"] == json{{"data_type", "keyword"}, {"points", 3}});
    CHECK(schema["tags"] == json{{"data_type", "keyword"}, {"points", 1}});

    auto [bad, err] = c.call("PUT", "/collections/docs/index",
                             {{"field_name", "n"}, {"field_schema", "vector"}});
    CHECK(bad == 400);
    CHECK(err["status"]["error"].get<std::string>().find("unknown variant `vector`") !=
          std::string::npos);
    CHECK(c.call("PUT", "/collections/docs/index", {{"field_schema", "integer"}}).first == 400);
    CHECK(c.call("PUT", "/collections/none/index",
                 {{"field_name", "n"}, {"field_schema", "integer"}})
              .first == 404);
    CHECK(c.call("DELETE", "/collections/none/index/n").first == 404);
    CHECK(c.call("GET", "/collections/docs/index").first == 405);

    CHECK(c.ok("DELETE", "/collections/docs/index/tags")["status"] == "completed");
  }
  Client again(dir);
  again.store.load();
  json schema = again.ok("GET", "/collections/docs")["payload_schema"];
  CHECK(schema.size() == 1);
  CHECK(schema["city"]["data_type"] == "keyword");
  fs::remove_all(dir);
}

TEST_CASE("QdrantStandinConfig::from_env") {
  setenv("QDRANT_STORAGE", "/tmp/x", 1);
  setenv("QDRANT__SERVICE__HTTP_PORT", "7333", 1);
  setenv("QDRANT__STORAGE__SNAPSHOTS_PATH", "/tmp/snaps", 1);
  auto c = QdrantStandinConfig::from_env();
  CHECK(c.storage_dir == "/tmp/x");
  CHECK(c.port == 7333);
  CHECK(c.snapshots_dir == "/tmp/snaps");
  unsetenv("QDRANT_STORAGE");
  unsetenv("QDRANT__SERVICE__HTTP_PORT");
  unsetenv("QDRANT__STORAGE__SNAPSHOTS_PATH");
  CHECK(QdrantStandinConfig::from_env().storage_dir == "/qdrant/storage");
  CHECK(QdrantStandinConfig::from_env().snapshots_dir.empty());
  CHECK(QdrantStore("/data").snapshots_dir() == "/data/snapshots");
  CHECK(QdrantStore("/data", "/snaps").snapshots_dir() == "/snaps");
  CHECK(QdrantStore().snapshots_dir().empty());
}
