// The pure half of snapshots: names, the databases a snapshot keeps, the manifest JSON
// (golden), `snapshot ls` text and JSON, and the folder rules that need no store.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/table.h"
#include "snapshot/manifest.h"
#include "snapshot/snapshot.h"
#include "util/error.h"

using namespace biodev;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string ls_text(const std::vector<snapshot::Manifest>& all, long long now) {
  auto rows = snapshot::ls_rows(all, now);
  cli::Table t(rows.front());
  for (size_t i = 1; i < rows.size(); ++i) t.add(rows[i]);
  return t.render();
}

snapshot::Manifest sample() {
  snapshot::Manifest m;
  m.name = "before-migration";
  m.project = "bio";
  m.created = 1796346000;  // 2026-12-04T01:00:00Z
  m.stores = {{"postgres", 104857600, 0, "database bio"},
              {"redis", 2048, 12, "12 keys"},
              {"s3", 1500, 3, "2 buckets, 3 objects"},
              {"qdrant", 900, 1, "1 collections"}};
  return m;
}

struct TempDir {
  std::string path;
  TempDir() {
    char t[] = "/tmp/biodev-unit-snap-XXXXXX";
    path = mkdtemp(t);
  }
  ~TempDir() { fs::remove_all(path); }
};

void write(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << text;
}

}  // namespace

TEST_CASE("snapshot names: lowercase letters, digits, . _ -, up to 40") {
  using snapshot::name_problem;
  CHECK(name_problem("before-migration") == "");
  CHECK(name_problem("v1.2_pre") == "");
  CHECK(name_problem("0") == "");
  CHECK(name_problem(std::string(40, 'a')) == "");
  CHECK(name_problem("") == "a snapshot name cannot be empty");
  CHECK(name_problem(std::string(41, 'a')) ==
        "snapshot name " + std::string(41, 'a') + " is longer than 40 characters");
  CHECK(name_problem("-x") == "snapshot name -x must start with a lowercase letter or a digit");
  CHECK(name_problem(".hidden") ==
        "snapshot name .hidden must start with a lowercase letter or a digit");
  CHECK(name_problem("Caps") == "snapshot name Caps must start with a lowercase letter or a digit");
  CHECK(name_problem("a/b") ==
        "snapshot name a/b may hold only lowercase letters, digits, '.', '_' and '-'");
  CHECK(name_problem("a b") != "");
  CHECK(name_problem("a\"b") != "");
}

TEST_CASE("snapshot databases carry the snapshot's name, never a lease's prefix") {
  CHECK(snapshot::template_database("pre") == "biodev_snap_pre");
  CHECK(snapshot::ready_database("pre") == "biodev_snapr_pre");
  CHECK(snapshot::partial_database("pre") == "biodev_snapt_pre");
  CHECK(snapshot::set_aside_database("42_7") == "biodev_snapold_42_7");
  // The longest name still fits Postgres's 63-byte identifiers.
  CHECK(snapshot::set_aside_database(std::string(40, 'a')).size() <= 63);
  CHECK(snapshot::ready_database(std::string(40, 'a')).size() <= 63);
  CHECK_FALSE(snapshot::template_database("x").starts_with("biodev_lease_"));
}

TEST_CASE("manifest JSON (golden) and its round trip") {
  json j = snapshot::to_json(sample());
  CHECK(j.dump() ==
        R"({"bytes":104862048,"created":"2026-12-04T01:00:00Z","created_unix":1796346000,)"
        R"("format":1,"name":"before-migration","project":"bio","stores":[)"
        R"({"bytes":104857600,"detail":"database bio","items":0,"store":"postgres"},)"
        R"({"bytes":2048,"detail":"12 keys","items":12,"store":"redis"},)"
        R"({"bytes":1500,"detail":"2 buckets, 3 objects","items":3,"store":"s3"},)"
        R"({"bytes":900,"detail":"1 collections","items":1,"store":"qdrant"}]})");
  snapshot::Manifest back = snapshot::manifest_from_json(j);
  CHECK(snapshot::to_json(back) == j);
  CHECK(back.bytes() == 104862048);
  REQUIRE(back.store("redis") != nullptr);
  CHECK(back.store("redis")->items == 12);
  CHECK(back.store("mongo") == nullptr);
}

TEST_CASE("a manifest that does not read says which field") {
  json j = snapshot::to_json(sample());
  j.erase("created_unix");
  CHECK_THROWS_WITH(snapshot::manifest_from_json(j), "manifest: missing \"created_unix\"");
  j = snapshot::to_json(sample());
  j["name"] = 3;
  CHECK_THROWS_WITH(snapshot::manifest_from_json(j), "manifest: \"name\" has the wrong type");
  j = snapshot::to_json(sample());
  j["format"] = 9;
  CHECK_THROWS_WITH(snapshot::manifest_from_json(j),
                    "manifest: format 9 is not one this biodev reads (1)");
}

TEST_CASE("sizes and ages as ls shows them") {
  CHECK(snapshot::size_text(0) == "0 B");
  CHECK(snapshot::size_text(999) == "999 B");
  CHECK(snapshot::size_text(1500) == "1.50 KB");
  CHECK(snapshot::size_text(104857600) == "105 MB");
  CHECK(snapshot::size_text(12345678) == "12.3 MB");
  CHECK(snapshot::size_text(2500000000LL) == "2.50 GB");
  CHECK(snapshot::age_text(-3) == "0s");
  CHECK(snapshot::age_text(59) == "59s");
  CHECK(snapshot::age_text(61) == "1m");
  CHECK(snapshot::age_text(7200) == "2h");
  CHECK(snapshot::age_text(3 * 86400 + 5) == "3d");
}

TEST_CASE("snapshot ls: newest first (golden), and JSON") {
  auto older = sample();
  older.name = "seeded";
  older.created -= 7200;
  older.stores = {{"redis", 10, 1, "1 keys"}};
  long long now = sample().created + 90;
  CHECK(ls_text({older, sample()}, now) ==
        "NAME              SIZE    AGE  CREATED               STORES\n"
        "before-migration  105 MB  1m   2026-12-04T01:00:00Z  postgres, redis, s3, qdrant\n"
        "seeded            10 B    2h   2026-12-03T23:00:00Z  redis\n");
  CHECK(snapshot::ls_rows({}, now).size() == 1);  // the header alone
  json j = snapshot::ls_json({older, sample()}, now);
  REQUIRE(j["snapshots"].size() == 2);
  CHECK(j["snapshots"][0]["name"] == "before-migration");
  CHECK(j["snapshots"][0]["age_s"] == 90);
  CHECK(j["snapshots"][1]["bytes"] == 10);
  CHECK(snapshot::ls_json({}, now).dump() == R"({"snapshots":[]})");
}

TEST_CASE("only folders with a manifest are snapshots; a missing one is exit 4") {
  TempDir d;
  const std::string dir = snapshot::snapshots_dir(d.path);
  CHECK(dir == d.path + "/.snapshots");
  CHECK(snapshot::list(d.path).empty());  // no folder at all
  write(dir + "/good/manifest.json", snapshot::to_json(sample()).dump());
  write(dir + "/.partial-next-12/manifest.json", snapshot::to_json(sample()).dump());
  write(dir + "/half/redis.dump", "x");
  write(dir + "/broken/manifest.json", "{");
  auto all = snapshot::list(d.path);
  REQUIRE(all.size() == 1);
  CHECK(all[0].name == "before-migration");
  CHECK(snapshot::find(d.path, "before-migration").project == "bio");
  try {
    snapshot::find(d.path, "nope");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::kNotFound);
    CHECK(static_cast<int>(e.code()) == 4);
    CHECK(std::string(e.what()) == "no snapshot nope in " + dir + " (there are: before-migration)");
  }
  CHECK_THROWS_AS(snapshot::find(d.path, "Bad/Name"), UsageError);
}

TEST_CASE("save refuses a taken name without --force, and leaves nothing when it fails") {
  TempDir d;
  const std::string dir = snapshot::snapshots_dir(d.path);
  write(dir + "/taken/manifest.json", snapshot::to_json(sample()).dump());
  snapshot::Stores none;
  try {
    snapshot::save(none, d.path, "bio", "taken", false);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::kFailed);
    CHECK(std::string(e.what()) ==
          "snapshot taken exists: `biodev snapshot save --force taken` replaces it");
  }
  CHECK_THROWS_WITH(snapshot::save(none, d.path, "bio", "fresh", false),
                    "the stack has no data store to snapshot (Postgres, Redis, S3, Qdrant)");
  // A store that cannot be reached: the save fails and no folder stays behind.
  snapshot::Stores unreachable;
  unreachable.redis = lease::RedisStore{"127.0.0.1", 1, ""};
  CHECK_THROWS_AS(snapshot::save(unreachable, d.path, "bio", "fresh", false), Error);
  CHECK_FALSE(fs::exists(dir + "/fresh"));
  size_t entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++entries;
  CHECK(entries == 1);  // only "taken"
}
