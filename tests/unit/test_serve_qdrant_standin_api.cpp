// The Qdrant stand-in's payload, batch, recommend, group, alias and snapshot endpoints.
#include <doctest/doctest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "qdrant_standin_client.h"
#include "util/crypto.h"

using namespace biodev::serve;
using namespace biodev::serve::testing;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr const char* kUuid = "550e8400-e29b-41d4-a716-446655440000";

void make_docs(Client& c, const std::string& name = "docs") {
  c.ok("PUT", "/collections/" + name, {{"vectors", {{"size", 3}, {"distance", "Cosine"}}}});
  c.ok("PUT", "/collections/" + name + "/points", points3());
}

json payload_of(Client& c, const json& id) {
  return c.ok("POST", "/collections/docs/points", {{"ids", {id}}})[0]["payload"];
}

json ids_of(const json& hits) {
  json ids = json::array();
  for (const auto& h : hits) ids.push_back(h["id"]);
  return ids;
}

json berlin() { return {{"must", {{{"key", "city"}, {"match", {{"value", "Berlin"}}}}}}}; }

}  // namespace

TEST_CASE("payload: set by ids or filter, at a key, overwrite, delete keys, clear") {
  Client c;
  make_docs(c);
  json op = c.ok("POST", "/collections/docs/points/payload",
                 {{"payload", {{"lang", "de"}}}, {"points", {1}}});
  CHECK(op["status"] == "completed");
  CHECK(payload_of(c, 1) == json{{"city", "Berlin"}, {"n", 1}, {"lang", "de"}});

  c.ok("POST", "/collections/docs/points/payload?wait=true",
       {{"payload", {{"seen", true}}}, {"filter", berlin()}});
  CHECK(payload_of(c, kUuid)["seen"] == true);
  CHECK(!payload_of(c, 2).contains("seen"));

  c.ok("POST", "/collections/docs/points/payload",
       {{"payload", {{"x", 1}}}, {"points", {2}}, {"key", "meta.inner"}});
  CHECK(payload_of(c, 2)["meta"] == json{{"inner", {{"x", 1}}}});

  c.ok("PUT", "/collections/docs/points/payload", {{"payload", {{"only", 1}}}, {"points", {2}}});
  CHECK(payload_of(c, 2) == json{{"only", 1}});

  c.ok("POST", "/collections/docs/points/payload/delete",
       {{"keys", {"lang", "seen", "nope.deeper"}}, {"points", {1}}});
  CHECK(payload_of(c, 1) == json{{"city", "Berlin"}, {"n", 1}});

  json async = c.ok("POST", "/collections/docs/points/payload/clear?wait=false", {{"points", {1}}});
  CHECK(async["status"] == "acknowledged");
  CHECK(payload_of(c, 1) == json::object());
  json hit =
      c.ok("POST", "/collections/docs/points/search", {{"vector", {1, 0, 0}}, {"limit", 1}})[0];
  CHECK(hit["version"] == async["operation_id"]);

  auto [missing, message] = c.error("POST", "/collections/docs/points/payload",
                                    {{"payload", {{"a", 1}}}, {"points", {1, 99}}});
  CHECK(missing == 404);
  CHECK(message == "Not found: No point with id 99 found");
  CHECK(payload_of(c, 1) == json::object());  // nothing applied
  CHECK(c.error("POST", "/collections/docs/points/payload", {{"payload", {{"a", 1}}}}).first ==
        400);
  CHECK(c.error("POST", "/collections/docs/points/payload", {{"points", {1}}}).first == 400);
  CHECK(c.error("POST", "/collections/docs/points/payload/delete", {{"points", {1}}}).first == 400);
  CHECK(c.error("POST", "/collections/none/points/payload/clear", {{"points", {1}}}).first == 404);
  CHECK(c.error("GET", "/collections/docs/points/payload/clear").first == 405);
}

TEST_CASE("vectors: update and delete; a point without its vector is not searched") {
  std::string dir = temp_dir();
  {
    Client c(dir);
    make_docs(c);
    c.ok("PUT", "/collections/docs/points/vectors",
         {{"points", {{{"id", 2}, {"vector", {0, 0, 5}}}}}});
    json hits =
        c.ok("POST", "/collections/docs/points/search", {{"vector", {0, 0, 1}}, {"limit", 2}});
    CHECK(hits[0]["score"].get<double>() == doctest::Approx(1.0));
    CHECK(c.error("PUT", "/collections/docs/points/vectors",
                  {{"points", {{{"id", 2}, {"vector", {1, 0}}}}}})
              .first == 400);
    c.ok("POST", "/collections/docs/points/vectors/delete", {{"points", {2}}, {"vector", {""}}});
    CHECK(c.error("POST", "/collections/docs/points/vectors/delete",
                  {{"points", {2}}, {"vector", {"image"}}})
              .second == "Wrong input: Not existing vector name error: image");
  }
  Client again(dir);
  again.store.load();
  json all = again.ok("POST", "/collections/docs/points/search", {{"vector", {0, 0, 1}}});
  CHECK(ids_of(all) == json{kUuid, 1});
  json p = again.ok("GET", "/collections/docs/points/2");
  CHECK(p["vector"] == json::object());
  CHECK(again.ok("POST", "/collections/docs/points/count")["count"] == 3);
  fs::remove_all(dir);
}

TEST_CASE("search/batch, query/batch and query by recommend") {
  Client c;
  make_docs(c);
  json batch = c.ok("POST", "/collections/docs/points/search/batch",
                    {{"searches",
                      {{{"vector", {1, 0, 0}}, {"limit", 1}},
                       {{"vector", {0, 0, 1}}, {"limit", 1}, {"with_payload", true}}}}});
  REQUIRE(batch.size() == 2);
  CHECK(batch[0][0]["id"] == 1);
  CHECK(batch[1][0]["payload"]["n"] == 3);
  json queries = c.ok("POST", "/collections/docs/points/query/batch",
                      {{"searches", {{{"query", {0, 0, 1}}, {"limit", 1}}, {{"query", 2}}}}});
  CHECK(queries[0]["points"][0]["id"] == kUuid);
  CHECK(queries[1]["points"][0]["id"] == 1);  // by point id: nearest to 2, 2 itself left out
  json reco = c.ok("POST", "/collections/docs/points/query",
                   {{"query", {{"recommend", {{"positive", {1}}}}}}, {"limit", 1}});
  CHECK(reco["points"][0]["id"] == 2);
  CHECK(c.error("POST", "/collections/docs/points/query",
                {{"prefetch", {{{"query", {1, 0, 0}}}}}, {"query", {1, 0, 0}}})
            .second == "Wrong input: `prefetch` is not supported by the biodev qdrant stand-in");
  CHECK(c.error("POST", "/collections/docs/points/scroll", {{"order_by", "n"}}).first == 400);
  CHECK(c.error("POST", "/collections/docs/points/search/batch", json::object()).first == 400);
  CHECK(c.error("POST", "/collections/docs/points/search/batch",
                {{"searches", {{{"vector", {1, 0}}}}}})
            .first == 400);
  CHECK(
      c.error("POST", "/collections/docs/points/search", {{"vector", {1, 0, 0}}, {"limit", "ten"}})
          .first == 400);
}

TEST_CASE("recommend: average_vector over ids and vectors, examples left out") {
  Client c;
  make_docs(c);
  json hits = c.ok("POST", "/collections/docs/points/recommend",
                   {{"positive", {1}}, {"limit", 5}, {"with_payload", true}});
  CHECK(ids_of(hits) == json{2, kUuid});  // 1 itself is not recommended
  CHECK(hits[0]["payload"]["city"] == "London");

  // 2 * avg(positive) - avg(negative) = (0, 0, 2) - (1, 0, 0): the UUID point first
  json away = c.ok("POST", "/collections/docs/points/recommend",
                   {{"positive", {{0, 0, 1}}}, {"negative", {1}}, {"limit", 5}});
  CHECK(ids_of(away) == json{kUuid, 2});

  json filtered =
      c.ok("POST", "/collections/docs/points/recommend", {{"positive", {1}}, {"filter", berlin()}});
  CHECK(ids_of(filtered) == json{kUuid});

  json batch =
      c.ok("POST", "/collections/docs/points/recommend/batch",
           {{"searches", {{{"positive", {1}}, {"limit", 1}}, {{"positive", {2}}, {"limit", 1}}}}});
  CHECK(batch[0][0]["id"] == 2);
  CHECK(batch[1][0]["id"] == 1);

  make_docs(c, "other");
  json looked_up =
      c.ok("POST", "/collections/docs/points/recommend",
           {{"positive", {kUuid}}, {"limit", 1}, {"lookup_from", {{"collection", "other"}}}});
  CHECK(looked_up[0]["id"] == kUuid);  // an example from another collection is not left out

  CHECK(c.error("POST", "/collections/docs/points/recommend", {{"positive", {77}}}).first == 404);
  CHECK(c.error("POST", "/collections/docs/points/recommend", {{"negative", {1}}}).first == 400);
  CHECK(c.error("POST", "/collections/docs/points/recommend",
                {{"positive", {1}}, {"strategy", "best_score"}})
            .first == 400);
}

TEST_CASE("groups: search, recommend and query grouped by a payload key") {
  Client c;
  make_docs(c);
  c.ok("PUT", "/collections/docs/points",
       {{"points", {{{"id", 4}, {"vector", {0.8, 0.2, 0}}, {"payload", {{"city", "Berlin"}}}}}}});
  json groups =
      c.ok("POST", "/collections/docs/points/search/groups",
           {{"vector", {1, 0, 0}}, {"group_by", "city"}, {"group_size", 2}, {"limit", 5}});
  REQUIRE(groups["groups"].size() == 2);
  CHECK(groups["groups"][0]["id"] == "Berlin");
  CHECK(ids_of(groups["groups"][0]["hits"]) == json{1, 4});
  CHECK(groups["groups"][1]["id"] == "London");

  json one = c.ok("POST", "/collections/docs/points/search/groups",
                  {{"vector", {1, 0, 0}}, {"group_by", "city"}, {"group_size", 1}, {"limit", 1}});
  CHECK(one["groups"].size() == 1);
  CHECK(one["groups"][0]["hits"].size() == 1);

  json tags = c.ok("POST", "/collections/docs/points/query/groups",
                   {{"query", {0, 0, 1}}, {"group_by", "tags"}, {"limit", 5}});
  CHECK(tags["groups"].size() == 2);  // "a" and "b", both from the one tagged point

  json reco = c.ok("POST", "/collections/docs/points/recommend/groups",
                   {{"positive", {1}}, {"group_by", "city"}, {"group_size", 3}, {"limit", 3}});
  REQUIRE(reco["groups"].size() == 2);  // 1, the example, left out: London's 2 comes first
  CHECK(reco["groups"][0]["id"] == "London");
  CHECK(ids_of(reco["groups"][1]["hits"]) == json{4, kUuid});
  CHECK(c.error("POST", "/collections/docs/points/search/groups", {{"vector", {1, 0, 0}}}).first ==
        400);
}

TEST_CASE("points/batch: every operation, in order, all or nothing") {
  Client c;
  make_docs(c);
  json ops = {{{"upsert", {{"points", {{{"id", 9}, {"vector", {0, 1, 0}}}}}}}},
              {{"set_payload", {{"payload", {{"k", 1}}}, {"points", {9, 1}}}}},
              {{"overwrite_payload", {{"payload", {{"only", true}}}, {"points", {2}}}}},
              {{"delete_payload", {{"keys", {"n"}}, {"filter", berlin()}}}},
              {{"clear_payload", {{"points", {kUuid}}}}},
              {{"update_vectors", {{"points", {{{"id", 1}, {"vector", {0, 1, 0}}}}}}}},
              {{"delete_vectors", {{"points", {2}}, {"vector", {""}}}}},
              {{"delete", {{"points", {9}}}}}};
  json results = c.ok("POST", "/collections/docs/points/batch", {{"operations", ops}});
  REQUIRE(results.size() == ops.size());
  CHECK(results[0]["status"] == "completed");
  CHECK(payload_of(c, 1) == json{{"city", "Berlin"}, {"k", 1}});
  CHECK(payload_of(c, 2) == json{{"only", true}});
  CHECK(payload_of(c, kUuid) == json::object());
  CHECK(c.ok("POST", "/collections/docs/points/count")["count"] == 3);
  CHECK(c.ok("POST", "/collections/docs/points/search",
             {{"vector", {0, 1, 0}}, {"limit", 1}})[0]["id"] == 1);

  json failing = {{{"set_payload", {{"payload", {{"gone", 1}}}, {"points", {1}}}}},
                  {{"delete", {{"points", {1}}}}},
                  {{"clear_payload", {{"points", {404}}}}}};
  CHECK(c.error("POST", "/collections/docs/points/batch", {{"operations", failing}}).first == 404);
  CHECK(payload_of(c, 1) == json{{"city", "Berlin"}, {"k", 1}});  // nothing applied
  CHECK(c.error("POST", "/collections/docs/points/batch",
                {{"operations", {{{"explode", json::object()}}}}})
            .first == 400);
  CHECK(c.ok("POST", "/collections/docs/points/batch?wait=false",
             {{"operations", {{{"delete", {{"points", {1}}}}}}}})[0]["status"] == "acknowledged");
}

TEST_CASE("PATCH /collections/{name} accepts tuning and refuses what it cannot do") {
  Client c;
  make_docs(c);
  CHECK(c.ok("PATCH", "/collections/docs",
             {{"optimizers_config", {{"indexing_threshold", 10000}}},
              {"params", {{"replication_factor", 1}}},
              {"vectors", {{"", {{"on_disk", true}}}}}}) == true);
  CHECK(c.error("PATCH", "/collections/none", json::object()).first == 404);
  CHECK(c.error("PATCH", "/collections/docs", {{"vectors", {{"image", {{"on_disk", true}}}}}})
            .first == 400);
  CHECK(c.error("PATCH", "/collections/docs", {{"sparse_vectors", json::object()}}).first == 400);
  CHECK(c.error("PUT", "/collections/sparse",
                {{"vectors", {{"size", 3}, {"distance", "Dot"}}},
                 {"sparse_vectors", {{"text", json::object()}}}})
            .second ==
        "Wrong input: `sparse_vectors` is not supported by the biodev qdrant stand-in");
  CHECK(c.ok("PUT", "/collections/tuned",
             {{"vectors", {{"size", 3}, {"distance", "Dot"}, {"on_disk", true}}},
              {"hnsw_config", {{"m", 32}}},
              {"sparse_vectors", nullptr}}) == true);
}

TEST_CASE("aliases: create, use as the collection, rename, delete, persist") {
  std::string dir = temp_dir();
  {
    Client c(dir);
    make_docs(c);
    CHECK(c.ok("POST", "/collections/aliases",
               {{"actions",
                 {{{"create_alias", {{"collection_name", "docs"}, {"alias_name", "live"}}}}}}}) ==
          true);
    CHECK(c.ok("GET", "/aliases") ==
          json{{"aliases", {{{"alias_name", "live"}, {"collection_name", "docs"}}}}});
    CHECK(c.ok("GET", "/collections/docs/aliases")["aliases"].size() == 1);
    CHECK(c.ok("GET", "/collections/live/exists")["exists"] == true);
    CHECK(c.ok("GET", "/collections/live")["points_count"] == 3);
    c.ok("PUT", "/collections/live/points", {{"points", {{{"id", 7}, {"vector", {1, 1, 0}}}}}});
    CHECK(c.ok("POST", "/collections/docs/points/count")["count"] == 4);
    CHECK(c.ok("GET", "/collections")["collections"].size() == 1);

    auto [clash, message] = c.error(
        "POST", "/collections/aliases",
        {{"actions", {{{"create_alias", {{"collection_name", "docs"}, {"alias_name", "docs"}}}}}}});
    CHECK(clash == 400);
    CHECK(message == "Wrong input: Collection `docs` already exists!");
    CHECK(c.error("PUT", "/collections/live", {{"vectors", {{"size", 3}, {"distance", "Dot"}}}})
              .first == 400);
    CHECK(c.error("POST", "/collections/aliases",
                  {{"actions",
                    {{{"create_alias", {{"collection_name", "none"}, {"alias_name", "x"}}}}}}})
              .first == 404);
    // All or nothing: the rename is not applied when the next action fails.
    CHECK(c.error("POST", "/collections/aliases",
                  {{"actions",
                    {{{"rename_alias", {{"old_alias_name", "live"}, {"new_alias_name", "prod"}}}},
                     {{"rename_alias", {{"old_alias_name", "gone"}, {"new_alias_name", "x"}}}}}}})
              .first == 404);
    c.ok("POST", "/collections/aliases",
         {{"actions",
           {{{"rename_alias", {{"old_alias_name", "live"}, {"new_alias_name", "prod"}}}}}}});
    CHECK(c.ok("GET", "/collections/live/exists")["exists"] == false);
  }
  Client again(dir);
  again.store.load();
  CHECK(again.ok("GET", "/collections/prod")["points_count"] == 4);
  CHECK(again.ok("DELETE", "/collections/prod") == false);  // by its own name only
  again.ok(
      "POST", "/collections/aliases",
      {{"actions", {{{"create_alias", {{"collection_name", "docs"}, {"alias_name", "second"}}}}}}});
  again.ok("POST", "/collections/aliases",
           {{"actions", {{{"delete_alias", {{"alias_name", "second"}}}}}}});
  CHECK(again.ok("DELETE", "/collections/docs") == true);
  CHECK(again.ok("GET", "/aliases")["aliases"].empty());  // the aliases went with it
  CHECK(again.error("POST", "/collections/aliases", {{"actions", {{{"nope", 1}}}}}).first == 400);
  fs::remove_all(dir);
}

TEST_CASE("snapshots in memory: create, list, download, recover, delete") {
  Client c;
  make_docs(c);
  c.ok("PUT", "/collections/docs/index", {{"field_name", "city"}, {"field_schema", "keyword"}});
  json made = c.ok("POST", "/collections/docs/snapshots");
  std::string name = made["name"];
  CHECK(name.starts_with("docs-1-"));
  CHECK(name.ends_with(".snapshot"));
  CHECK(made["creation_time"].get<std::string>().size() == 19);
  json listed = c.ok("GET", "/collections/docs/snapshots");
  REQUIRE(listed.size() == 1);
  CHECK(listed[0] == made);
  CHECK(c.ok("POST", "/collections/docs/snapshots")["name"] != name);  // never the same name

  Reply file = c.raw("GET", "/collections/docs/snapshots/" + name);
  CHECK(file.status == 200);
  CHECK(file.content_type == "application/octet-stream");
  CHECK(made["checksum"] == biodev::sha256_hex(file.body));
  CHECK(made["size"] == file.body.size());

  std::string url = "http://localhost:6333/collections/docs/snapshots/" + name;
  CHECK(c.ok("PUT", "/collections/copy/snapshots/recover",
             {{"location", url}, {"checksum", made["checksum"]}}) == true);
  json copy = c.ok("GET", "/collections/copy");
  CHECK(copy["points_count"] == 3);
  CHECK(copy["payload_schema"]["city"]["data_type"] == "keyword");

  c.ok("POST", "/collections/docs/points/delete", {{"points", {1, 2}}});
  c.ok("PUT", "/collections/docs/snapshots/recover?wait=true", {{"location", url}});
  CHECK(c.ok("POST", "/collections/docs/points/count")["count"] == 3);

  CHECK(c.error("PUT", "/collections/copy/snapshots/recover",
                {{"location", url}, {"checksum", std::string(64, '0')}})
            .second.starts_with("Wrong input: Snapshot checksum mismatch"));
  c.ok("PUT", "/collections/dots", {{"vectors", {{"size", 2}, {"distance", "Dot"}}}});
  CHECK(c.error("PUT", "/collections/dots/snapshots/recover", {{"location", url}}).first == 400);
  CHECK(c.error("PUT", "/collections/x/snapshots/recover", {{"location", "s3://b/k"}}).first ==
        400);
  CHECK(c.error("PUT", "/collections/x/snapshots/recover",
                {{"location", "http://h/collections/docs/snapshots/none.snapshot"}})
            .first == 404);

  Reply accepted = c.raw("DELETE", "/collections/docs/snapshots/" + name + "?wait=false");
  CHECK(accepted.status == 202);
  CHECK(json::parse(accepted.body)["status"] == "accepted");
  CHECK(c.error("DELETE", "/collections/docs/snapshots/" + name).first == 404);
  CHECK(c.error("GET", "/collections/docs/snapshots/" + name).first == 404);
  CHECK(c.error("POST", "/collections/none/snapshots").first == 404);
  CHECK(c.error("GET", "/collections/docs/snapshots/..%2Fx").first == 400);
}

TEST_CASE("snapshots on disk: file:// recovery, uploads raw and multipart") {
  std::string dir = temp_dir();
  Client c(dir);
  make_docs(c);
  std::string name = c.ok("POST", "/collections/docs/snapshots")["name"];
  std::string path = c.store.snapshots_dir() + "/docs/" + name;
  CHECK(path == dir + "/snapshots/docs/" + name);
  REQUIRE(fs::exists(path));
  CHECK(c.ok("PUT", "/collections/fromfile/snapshots/recover", {{"location", "file://" + path}}) ==
        true);
  CHECK(c.ok("POST", "/collections/fromfile/points/count")["count"] == 3);
  CHECK(c.error("PUT", "/collections/x/snapshots/recover", {{"location", "file:///etc/passwd"}})
            .first == 400);

  std::string data = c.raw("GET", "/collections/docs/snapshots/" + name).body;
  Reply raw = c.raw("POST", "/collections/raw/snapshots/upload?priority=snapshot", data);
  CHECK(raw.status == 200);
  CHECK(c.ok("GET", "/collections/raw")["points_count"] == 3);

  std::string form = "--XyZ\r\nContent-Disposition: form-data; name=\"snapshot\"; filename=\"" +
                     name + "\"\r\nContent-Type: application/octet-stream\r\n\r\n" + data +
                     "\r\n--XyZ--\r\n";
  Reply multipart =
      c.raw("POST", "/collections/form/snapshots/upload?checksum=" + biodev::sha256_hex(data), form,
            {{"content-type", "multipart/form-data; boundary=XyZ"}});
  CHECK(multipart.status == 200);
  CHECK(c.ok("GET", "/collections/form")["points_count"] == 3);
  CHECK(c.raw("POST", "/collections/bad/snapshots/upload", "{\"not\":\"a snapshot\"}").status ==
        400);
  CHECK(c.raw("POST", "/collections/bad/snapshots/upload", "--XyZ--",
              {{"content-type", "multipart/form-data; boundary=XyZ"}})
            .status == 400);

  Client again(dir);
  again.store.load();
  CHECK(again.ok("GET", "/collections/docs/snapshots").size() == 1);
  CHECK(again.ok("GET", "/collections/form")["points_count"] == 3);
  fs::remove_all(dir);
}

TEST_CASE("discover: a target ranked by context pairs, and context search alone") {
  Client c;
  make_docs(c);
  // 1 is as close to the positive (the UUID point) as to the negative: rank 0, plus its
  // squashed similarity to the target (1): 0.75. 2 leans to the negative: rank -1.
  json hits = c.ok("POST", "/collections/docs/points/discover",
                   {{"target", {1, 0, 0}},
                    {"context", {{{"positive", kUuid}, {"negative", {0, 1, 0}}}}},
                    {"limit", 5}});
  CHECK(ids_of(hits) == json{1, 2});  // the UUID point is an example: left out
  CHECK(hits[0]["score"].get<double>() == doctest::Approx(0.75).epsilon(0.001));
  CHECK(hits[1]["score"].get<double>() == doctest::Approx(-0.25).epsilon(0.01));

  // Context alone: min(sim(positive) - sim(negative), 0), summed over the pairs.
  json context = c.ok("POST", "/collections/docs/points/discover",
                      {{"context", {{{"positive", kUuid}, {"negative", 1}}}}});
  CHECK(ids_of(context) == json{2});
  CHECK(context[0]["score"].get<double>() == doctest::Approx(-0.9939).epsilon(0.001));

  json batch = c.ok("POST", "/collections/docs/points/discover/batch",
                    {{"searches", {{{"target", 2}, {"limit", 1}}}}});
  CHECK(batch[0][0]["id"] == 1);
  CHECK(c.error("POST", "/collections/docs/points/discover", json::object()).first == 400);
  CHECK(c.error("POST", "/collections/docs/points/discover",
                {{"context", {{{"positive", 1}}}}})
            .first == 400);
  CHECK(c.error("POST", "/collections/nope/points/discover", {{"target", 1}}).first == 404);
}
