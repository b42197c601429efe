#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/copy_target.h"
#include "util/crypto.h"
#include "util/error.h"
#include "util/subprocess.h"
#include "util/tar.h"
#include "util/tar_extract.h"
#include "temp_dir.h"

namespace fs = std::filesystem;
using namespace biodev;

namespace {

using testing::read_file;
using testing::TempDir;
using testing::write_file;

void run(const std::vector<std::string>& argv) {
  SubprocessOptions o;
  o.argv = argv;
  o.env = {{"TZ", "UTC"}, {"LC_ALL", "C"}};
  SubprocessResult r = run_subprocess(o, [](OutputStream, std::string_view) {});
  REQUIRE(r.exit_code == 0);
}

// Records what the reader reports, one line per member: "type mode size mtime name -> link".
struct Listing : TarSink {
  std::vector<std::string> lines;
  std::vector<std::string> contents;
  void entry(const TarEntry& e) override {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", e.mode);
    lines.push_back(std::string(1, e.typeflag ? e.typeflag : '0') + " " + mode + " " +
                    std::to_string(e.size) + " " + std::to_string(e.mtime) + " " + e.name +
                    (e.link.empty() ? "" : " -> " + e.link));
    contents.emplace_back();
  }
  void data(std::string_view bytes) override { contents.back().append(bytes); }
  void end_entry() override {}
};

Listing list(const std::string& bytes, size_t piece) {
  Listing l;
  TarReader reader(l, "test");
  for (size_t off = 0; off < bytes.size(); off += piece)
    reader.feed(std::string_view(bytes).substr(off, piece));
  reader.finish();
  return l;
}

// A ustar header block with its checksum: for archives no well-behaved writer makes.
std::string header(const std::string& name, char type, size_t size, const std::string& link = "",
                   unsigned mode = 0644) {
  std::string h(512, '\0');
  std::memcpy(h.data(), name.data(), std::min<size_t>(name.size(), 100));
  std::snprintf(h.data() + 100, 8, "%07o", mode);
  std::snprintf(h.data() + 108, 8, "%07o", 0);
  std::snprintf(h.data() + 116, 8, "%07o", 0);
  std::snprintf(h.data() + 124, 12, "%011zo", size);
  std::snprintf(h.data() + 136, 12, "%011o", 1700000000);
  h[156] = type;
  std::memcpy(h.data() + 157, link.data(), std::min<size_t>(link.size(), 100));
  std::memcpy(h.data() + 257,
              "ustar\0"
              "00",
              8);
  std::memset(h.data() + 148, ' ', 8);
  unsigned sum = 0;
  for (char c : h) sum += static_cast<unsigned char>(c);
  std::snprintf(h.data() + 148, 8, "%06o", sum);
  return h;
}

std::string member(const std::string& name, char type, const std::string& data,
                   const std::string& link = "") {
  std::string out = header(name, type, data.size(), link) + data;
  out.append((512 - data.size() % 512) % 512, '\0');
  return out;
}

const std::string kEnd(1024, '\0');

void extract(const std::string& bytes, const std::string& root, const std::string& from = "",
             const std::string& to = "") {
  TarExtractor ex({root, from, to});
  TarReader reader(ex, "test");
  reader.feed(bytes);
  reader.finish();
  ex.finish();
}

}  // namespace

TEST_CASE(
    "tar read: the writer's golden archive reads back member by member, in pieces of any size") {
  TempDir dir;
  std::string long_name = "deep/" + std::string(120, 'n') + ".txt";
  std::string long_target = "/" + std::string(110, 't');
  std::string archive = dir.path + "/out.tar";
  {
    TarWriter tar(archive, 1700000000);
    tar.add_directory("etc");
    tar.add_file("etc/hello.txt", "hello\n", 0644);
    tar.add_file(long_name, "long", 0600);
    tar.add_symlink("lib/far", long_target);
    tar.add_directory("tmp/", 01777);
    tar.finish();
  }
  std::string bytes = read_file(archive);
  // The writer's golden bytes: pax headers for the long name and the long target.
  CHECK(bytes.size() == 6656);
  CHECK(sha256_hex(bytes) == "5be6fc1a6e9d1385fb4ff10dc8d7c479774dc2d10b336c6d44eff229ec663ece");
  const std::vector<std::string> golden = {
      "5 0755 0 1700000000 etc/",         "0 0644 6 1700000000 etc/hello.txt",
      "0 0600 4 1700000000 " + long_name, "2 0777 0 1700000000 lib/far -> " + long_target,
      "5 1777 0 1700000000 tmp/",
  };
  for (size_t piece : {size_t{1}, size_t{7}, size_t{511}, size_t{512}, size_t{100000}}) {
    CAPTURE(piece);
    Listing l = list(bytes, piece);
    CHECK(l.lines == golden);
    CHECK(l.contents[1] == "hello\n");
    CHECK(l.contents[2] == "long");
  }
}

TEST_CASE("tar read: GNU tar's gnu and pax formats (long names, long links, mtimes)") {
  TempDir dir;
  std::string src = dir.path + "/src";
  std::string long_dir = std::string(60, 'd') + "/" + std::string(70, 'e');
  fs::create_directories(src + "/" + long_dir);
  write_file(src + "/" + long_dir + "/" + std::string(110, 'f'), "deep");
  fs::create_symlink(std::string(150, 'l'), src + "/ln");
  for (const char* format : {"gnu", "pax"}) {
    CAPTURE(format);
    std::string archive = dir.path + "/" + format + ".tar";
    run({"tar", std::string("--format=") + format, "--sort=name", "--mtime=@1600000000",
         "--owner=0", "--group=0", "--numeric-owner", "--mode=go-w", "-cf", archive, "-C", src,
         "."});
    Listing l = list(read_file(archive), 333);
    REQUIRE(l.lines.size() == 5);
    CHECK(l.lines[0] == "5 0755 0 1600000000 ./");
    CHECK(l.lines[1] == "5 0755 0 1600000000 ./" + std::string(60, 'd') + "/");
    CHECK(l.lines[2] == "5 0755 0 1600000000 ./" + long_dir + "/");
    CHECK(l.lines[3] == "0 0644 4 1600000000 ./" + long_dir + "/" + std::string(110, 'f'));
    CHECK(l.lines[4] == "2 0755 0 1600000000 ./ln -> " + std::string(150, 'l'));
    CHECK(l.contents[3] == "deep");
  }
}

TEST_CASE("tar read: a damaged or truncated archive is an error") {
  std::string good = member("a.txt", '0', "hello") + kEnd;
  std::string bad = good;
  bad[0] = 'b';  // checksum no longer matches
  CHECK_THROWS_WITH_AS(list(bad, 512), doctest::Contains("bad header checksum"), Error);
  CHECK_THROWS_WITH_AS(list(good.substr(0, 600), 512), doctest::Contains("truncated"), Error);
  CHECK_THROWS_WITH_AS(list("", 512), doctest::Contains("empty"), Error);
  std::string pax = "8 path=x\n";  // 8 is not this record's length (9)
  CHECK_THROWS_WITH_AS(list(member("PaxHeaders/x", 'x', pax) + member("x", '0', "") + kEnd, 512),
                       doctest::Contains("malformed pax record"), Error);
}

TEST_CASE(
    "tar read: round trip of a host tree through add_tree and the extractor keeps bytes, modes, "
    "mtimes, links") {
  TempDir dir;
  std::string src = dir.path + "/src";
  std::string long_name = std::string(140, 'x') + ".bin";
  fs::create_directories(src + "/sub/empty");
  write_file(src + "/run.sh", "#!/bin/sh\necho hi\n");
  write_file(src + "/sub/" + long_name, std::string(70000, 'z'));
  fs::create_symlink("../run.sh", src + "/sub/link");
  chmod((src + "/run.sh").c_str(), 0750);
  chmod((src + "/sub/" + long_name).c_str(), 0600);
  chmod((src + "/sub/empty").c_str(), 0700);
  chmod((src + "/sub").c_str(), 0751);
  for (const char* p : {"/run.sh", "/sub/empty", "/sub"}) {
    timespec t[2] = {{1650000000, 0}, {1650000000, 0}};
    utimensat(AT_FDCWD, (src + p).c_str(), t, 0);
  }
  std::string archive = dir.path + "/tree.tar";
  {
    TarWriter w(archive);
    CHECK(w.add_tree("src", src) == 0);
    w.finish();
  }
  // Unpacked under another name, as `biodev cp` renames SRC to a missing DEST.
  std::string out = dir.path + "/out";
  fs::create_directory(out);
  extract(read_file(archive), out, "src", "copy");
  std::string copy = out + "/copy";
  CHECK(read_file(copy + "/run.sh") == "#!/bin/sh\necho hi\n");
  CHECK(read_file(copy + "/sub/" + long_name) == std::string(70000, 'z'));
  CHECK(fs::read_symlink(copy + "/sub/link") == "../run.sh");
  auto mode = [](const std::string& p) {
    struct stat st;
    REQUIRE(lstat(p.c_str(), &st) == 0);
    return st.st_mode & 07777;
  };
  auto mtime = [](const std::string& p) {
    struct stat st;
    REQUIRE(lstat(p.c_str(), &st) == 0);
    return static_cast<long long>(st.st_mtim.tv_sec);
  };
  CHECK(mode(copy + "/run.sh") == 0750);
  CHECK(mode(copy + "/sub/" + long_name) == 0600);
  CHECK(mode(copy + "/sub/empty") == 0700);
  CHECK(mode(copy + "/sub") == 0751);
  CHECK(mtime(copy + "/run.sh") == 1650000000);
  CHECK(mtime(copy + "/sub") == 1650000000);  // set after its content was written
  CHECK(mtime(copy + "/sub/empty") == 1650000000);
  // GNU tar reads the same archive back the same way.
  std::string gnu = dir.path + "/gnu";
  fs::create_directory(gnu);
  run({"tar", "-xf", archive, "-C", gnu});
  CHECK(read_file(gnu + "/src/sub/" + long_name) == std::string(70000, 'z'));
}

TEST_CASE(
    "tar read: members that would land outside the folder are refused and nothing is written "
    "there") {
  TempDir dir;
  std::string root = dir.path + "/root";
  std::string outside = dir.path + "/outside";
  fs::create_directories(root);
  fs::create_directories(outside);
  struct Case {
    const char* what;
    std::string bytes;
    const char* message;
  };
  std::vector<Case> cases = {
      {"dot-dot", member("../outside/evil", '0', "x") + kEnd, "climbs out"},
      {"nested dot-dot", member("a/../../outside/evil", '0', "x") + kEnd, "climbs out"},
      {"absolute", member(outside + "/evil", '0', "x") + kEnd, "absolute path"},
      {"through a symlink", member("a", '2', "", outside) + member("a/evil", '0', "x") + kEnd,
       "goes through the symlink"},
      {"hard link out", member("h", '1', "", "../outside/target") + kEnd, "climbs out"},
      {"pax path",
       member("PaxHeaders/e", 'x', "24 path=../outside/evil\n") + member("fine", '0', "x") + kEnd,
       "climbs out"},
  };
  write_file(outside + "/target", "t");
  for (const auto& c : cases) {
    CAPTURE(c.what);
    CHECK_THROWS_WITH_AS(extract(c.bytes, root), doctest::Contains(c.message), Error);
    CHECK(!fs::exists(outside + "/evil"));
    CHECK(!fs::exists(root + "/fine"));
  }
  CHECK(!fs::exists(root + "/h"));
  // A symlink whose target is outside is fine as a link: nothing is written through it.
  extract(member("ok", '2', "", "/etc/passwd") + member("ok", '0', "mine") + kEnd, root);
  CHECK(read_file(root + "/ok") == "mine");
  CHECK(!fs::is_symlink(root + "/ok"));
}

TEST_CASE("cp: where a copy lands follows docker cp's rules") {
  using cli::copy_target;
  using cli::PathKind;
  const std::optional<PathKind> dir = PathKind{true}, file = PathKind{false}, none = std::nullopt;
  auto where = [](const cli::CopyTarget& t) { return t.dir + " | " + t.top_name; };
  // File source.
  CHECK(where(copy_target("/etc/hosts", false, "out", none, dir, "s", "d")) == ". | out");
  CHECK(where(copy_target("/etc/hosts", false, "/tmp/x/", dir, none, "s", "d")) ==
        "/tmp/x/ | hosts");
  CHECK(where(copy_target("/etc/hosts", false, "/tmp/f", file, none, "s", "d")) == "/tmp | f");
  CHECK_THROWS_WITH_AS(
      copy_target("/etc/hosts", false, "/tmp/new/", none, dir, "svc:/etc/hosts", "/tmp/new/"),
      doctest::Contains("the folder /tmp/new/ does not exist"), Error);
  CHECK_THROWS_WITH_AS(
      copy_target("/etc/hosts/", false, "/tmp", dir, none, "svc:/etc/hosts/", "/tmp"),
      doctest::Contains("is not a folder"), Error);
  // Folder source.
  CHECK(where(copy_target("/etc", true, "/tmp/x", dir, none, "s", "d")) == "/tmp/x | etc");
  CHECK(where(copy_target("/etc/", true, "/tmp/x", dir, none, "s", "d")) == "/tmp/x | etc");
  CHECK(where(copy_target("/etc/.", true, "/tmp/x", dir, none, "s", "d")) == "/tmp/x | .");
  CHECK(where(copy_target("/etc/.", true, "/tmp/new", none, dir, "s", "d")) == "/tmp | new");
  CHECK(where(copy_target("/etc", true, "new/", none, dir, "s", "d")) == ". | new");
  CHECK_THROWS_WITH_AS(copy_target("/etc", true, "/tmp/f", file, none, "svc:/etc", "/tmp/f"),
                       doctest::Contains("cannot copy the folder svc:/etc over the file /tmp/f"),
                       Error);
  // DEST's parent must exist.
  CHECK_THROWS_WITH_AS(
      copy_target("a", false, "/srv/no/x", none, none, "a", "svc:/srv/no/x"),
      doctest::Contains("the folder svc:/srv/no (where svc:/srv/no/x would go) does not exist"),
      Error);
  CHECK(cli::parent_path("/b") == "/");
  CHECK(cli::base_name("/a/b/") == "b");
  CHECK(cli::parent_path("b") == ".");
}
