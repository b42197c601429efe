// The pure half of postgres seeding: listing scripts, the apply/unchanged/changed
// decision, and mapping Postgres error positions to lines.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "seed/ledger.h"
#include "util/crypto.h"

using namespace biodev;
using namespace biodev::seed;
namespace fs = std::filesystem;

namespace {

ScriptFile file(const std::string& name, const std::string& content) {
  return {name, "/x/" + name, content, sha256_hex(content)};
}

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/biodev-seed-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
  void write(const std::string& name, const std::string& content) const {
    std::ofstream(path / name, std::ios::binary) << content;
  }
};

}  // namespace

TEST_CASE("ledger: new files apply, recorded ones with the same checksum do not") {
  std::vector<ScriptFile> files = {file("01_a.sql", "a"), file("02_b.sql", "b"),
                                   file("03_c.sh", "c")};
  std::vector<LedgerRow> ledger = {{"01_a.sql", sha256_hex("a")}, {"gone.sql", "x"}};
  auto d = decide_scripts(files, ledger, false);
  REQUIRE(d.size() == 3);
  CHECK(d[0].file == &files[0]);
  CHECK(d[0].action == ScriptAction::kUnchanged);
  CHECK(d[1].action == ScriptAction::kApply);
  CHECK(d[2].action == ScriptAction::kApply);
  CHECK(d[2].file->shell());
  CHECK_FALSE(d[0].file->shell());
}

TEST_CASE("ledger: a changed checksum is an error, or a re-apply when reseeding") {
  std::vector<ScriptFile> files = {file("01_a.sql", "a"), file("02_b.sql", "b v2")};
  std::vector<LedgerRow> ledger = {{"01_a.sql", sha256_hex("a")}, {"02_b.sql", sha256_hex("b")}};
  auto d = decide_scripts(files, ledger, false);
  CHECK(d[0].action == ScriptAction::kUnchanged);
  CHECK(d[1].action == ScriptAction::kChanged);
  CHECK(d[1].recorded_checksum == sha256_hex("b"));
  auto r = decide_scripts(files, ledger, true);
  CHECK(r[0].action == ScriptAction::kUnchanged);  // reseeding re-applies only what changed
  CHECK(r[1].action == ScriptAction::kReapply);
}

TEST_CASE("ledger: nothing recorded, nothing present") {
  CHECK(decide_scripts({}, {{"a.sql", "x"}}, false).empty());
  std::vector<ScriptFile> files = {file("a.sql", "")};
  CHECK(decide_scripts(files, {}, false)[0].action == ScriptAction::kApply);
}

TEST_CASE("ledger: scripts are listed in byte order, other files skipped") {
  TempDir dir;
  dir.write("10_late.sql", "select 10;");
  dir.write("02_b.sh", "echo hi");
  dir.write("01_a.sql", "select 1;");
  dir.write("B_upper.sql", "");  // 'B' (0x42) sorts before '_' and lowercase letters
  dir.write("README.md", "docs");
  dir.write(".01_hidden.sql", "nope");
  dir.write("notes.sql.bak", "old");
  fs::create_directory(dir.path / "sub.sql");
  auto files = list_scripts(dir.path.string());
  std::vector<std::string> names;
  for (const auto& f : files) names.push_back(f.name);
  CHECK(names == std::vector<std::string>{"01_a.sql", "02_b.sh", "10_late.sql", "B_upper.sql"});
  CHECK(files[0].content == "select 1;");
  CHECK(files[0].checksum == sha256_hex("select 1;"));
  CHECK(files[0].path == (dir.path / "01_a.sql").string());
}

TEST_CASE("ledger: a missing folder has no scripts") {
  CHECK(list_scripts("/nonexistent/biodev/init-scripts").empty());
  TempDir empty;
  CHECK(list_scripts(empty.path.string()).empty());
}

TEST_CASE("ledger: Postgres character positions map to lines") {
  std::string sql = "CREATE TABLE a (id int);\n\nCREATE TABLEE b;\n";
  CHECK(line_of_position(sql, 1) == 1);
  CHECK(line_of_position(sql, 24) == 1);
  CHECK(line_of_position(sql, 25) == 1);  // the newline ends line 1
  CHECK(line_of_position(sql, 26) == 2);
  CHECK(line_of_position(sql, 27) == 3);
  CHECK(line_of_position(sql, static_cast<long>(sql.find("TABLEE")) + 1) == 3);
  CHECK(line_of_position(sql, 0) == 0);
  CHECK(line_of_position(sql, -3) == 0);
  // Past the end ("syntax error at end of input"): the last line.
  CHECK(line_of_position(sql, 1000) == 3);
  CHECK(line_of_position("a\nb", 99) == 2);
}

TEST_CASE("ledger: positions count characters, not bytes") {
  // "é" and "🧬" are 2 and 4 bytes but one character each.
  std::string sql = "-- é🧬\nSELEC 1;";
  long pos = 7;  // '-','-',' ','é','🧬','\n' then 'S'
  CHECK(line_of_position(sql, pos - 1) == 1);
  CHECK(line_of_position(sql, pos) == 2);
}

TEST_CASE("ledger: tail_lines keeps the end of long output") {
  CHECK(tail_lines("  one\ntwo\n\n") == "one\ntwo");
  std::string many;
  for (int i = 1; i <= 30; ++i) many += "line " + std::to_string(i) + "\n";
  std::string t = tail_lines(many, 3);
  CHECK(t == "line 28\nline 29\nline 30");
  CHECK(tail_lines(std::string(5000, 'x'), 15, 100).size() == 100);
  CHECK(tail_lines("").empty());
}

TEST_CASE("ledger: folders are shown relative to the working directory") {
  CHECK(display_dir("/work/p/init-scripts/postgres", "/work/p") == "init-scripts/postgres");
  CHECK(display_dir("/work/p/init-scripts/postgres/", "/work/p/") == "init-scripts/postgres");
  CHECK(display_dir("/work/p/.", "/work/p") == ".");
  CHECK(display_dir("/work/pp/x", "/work/p") == "/work/pp/x");
  CHECK(display_dir("/srv/x", "") == "/srv/x");
  CHECK(display_dir("/srv/x", "/") == "srv/x");
}
