#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "util/crypto.h"
#include "util/subprocess.h"
#include "util/tar.h"
#include "temp_dir.h"

namespace fs = std::filesystem;
using namespace biodev;

namespace {

using testing::read_file;
using testing::TempDir;
using testing::write_file;

unsigned long long octal(const std::string& block, size_t offset, size_t width) {
  return std::strtoull(block.substr(offset, width).c_str(), nullptr, 8);
}

struct Member {
  std::string name;
  char type;
  unsigned long long size;
};

// Walks the archive header by header, checking each checksum and the padding.
std::vector<Member> parse(const std::string& tar) {
  std::vector<Member> out;
  REQUIRE(tar.size() % 512 == 0);
  size_t off = 0;
  while (off + 512 <= tar.size()) {
    std::string h = tar.substr(off, 512);
    if (h == std::string(512, '\0')) break;
    unsigned sum = 0;
    for (size_t i = 0; i < 512; ++i) {
      sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(h[i]);
    }
    CHECK(octal(h, 148, 8) == sum);
    CHECK(h.substr(257, 6) == std::string("ustar\0", 6));
    Member m{h.substr(0, h.find('\0') < 100 ? h.find('\0') : 100), h[156], octal(h, 124, 12)};
    out.push_back(m);
    off += 512 + (m.size + 511) / 512 * 512;
  }
  // Two zero blocks end the archive, and nothing follows them.
  CHECK(off + 1024 == tar.size());
  CHECK(tar.substr(off) == std::string(1024, '\0'));
  return out;
}

std::string run(const std::vector<std::string>& argv) {
  SubprocessOptions o;
  o.argv = argv;
  o.env = {{"TZ", "UTC"}, {"LC_ALL", "C"}};
  std::string out;
  SubprocessResult r = run_subprocess(o, [&](OutputStream s, std::string_view line) {
    if (s == OutputStream::kStdout) out.append(line).append("\n");
  });
  REQUIRE(r.exit_code == 0);
  return out;
}

}  // namespace

TEST_CASE("tar: a small archive matches the golden listing and bytes") {
  TempDir dir;
  std::string long_name = "deep/" + std::string(120, 'n') + ".txt";
  std::string long_target = "/" + std::string(110, 't');
  std::string host = dir.path + "/host.bin";
  std::string big(1 << 20, 'x');
  big += "end";
  write_file(host, big);

  std::string archive = dir.path + "/out.tar";
  {
    TarWriter tar(archive, 1700000000);
    tar.add_directory("etc");
    tar.add_file("etc/hello.txt", "hello\n", 0644);
    tar.add_file("run.sh", "#!/bin/sh\n", 0755);
    tar.add_file(long_name, "long", 0600);
    tar.add_symlink("lib/link", "../etc/hello.txt");
    tar.add_symlink("lib/far", long_target);
    tar.add_directory("tmp/", 01777);
    tar.add_file_from("blob/host.bin", host, 0640);
    tar.add_file("empty", "", 0644);
    tar.finish();
  }
  std::string bytes = read_file(archive);

  std::vector<Member> members = parse(bytes);
  REQUIRE(members.size() == 11);  // two pax headers: long name, long link target
  CHECK(members[0].name == "etc/");
  CHECK(members[0].type == '5');
  CHECK(members[3].type == 'x');
  CHECK(members[4].name == long_name.substr(0, 100));
  CHECK(members[9].name == "blob/host.bin");
  CHECK(members[9].size == big.size());

  std::string golden =
      "drwxr-xr-x root/root         0 2023-11-14 22:13 etc/\n"
      "-rw-r--r-- root/root         6 2023-11-14 22:13 etc/hello.txt\n"
      "-rwxr-xr-x root/root        10 2023-11-14 22:13 run.sh\n"
      "-rw------- root/root         4 2023-11-14 22:13 " +
      long_name +
      "\n"
      "lrwxrwxrwx root/root         0 2023-11-14 22:13 lib/link -> ../etc/hello.txt\n"
      "lrwxrwxrwx root/root         0 2023-11-14 22:13 lib/far -> " +
      long_target +
      "\n"
      "drwxrwxrwt root/root         0 2023-11-14 22:13 tmp/\n"
      "-rw-r----- root/root   1048579 2023-11-14 22:13 blob/host.bin\n"
      "-rw-r--r-- root/root         0 2023-11-14 22:13 empty\n";
  CHECK(run({"tar", "-tvf", archive}) == golden);

  // Same inputs, same bytes: the archive is a golden file of its own.
  CHECK(bytes.size() == 1058304);
  CHECK(sha256_hex(bytes) == "2116f4e627b2118c691a1c4b482381395d9c66d8defac9610588258f1f9254d1");

  // And GNU tar gets the contents back intact.
  std::string out = dir.path + "/x";
  fs::create_directory(out);
  run({"tar", "-xf", archive, "-C", out});
  CHECK(read_file(out + "/blob/host.bin") == big);
  CHECK(read_file(out + "/" + long_name) == "long");
  CHECK(fs::read_symlink(out + "/lib/far").string() == long_target);
}

TEST_CASE("tar: bad names and missing files throw") {
  TempDir dir;
  TarWriter tar(dir.path + "/bad.tar");
  CHECK_THROWS(tar.add_file("/abs", "x"));
  CHECK_THROWS(tar.add_file("a/../../b", "x"));
  CHECK_THROWS(tar.add_file("", "x"));
  CHECK_THROWS(tar.add_file_from("f", dir.path + "/missing"));
  CHECK_THROWS(tar.add_file_from("d", dir.path));  // a directory is not a regular file
}

TEST_CASE("tar: add_file_from takes the host mode when none is given") {
  TempDir dir;
  std::string host = dir.path + "/tool";
  write_file(host, "#!/bin/sh\n");
  fs::permissions(host, fs::perms(0750));
  std::string archive = dir.path + "/m.tar";
  TarWriter tar(archive);
  tar.add_file_from("tool", host);
  tar.finish();
  std::string bytes = read_file(archive);
  CHECK(octal(bytes, 100, 8) == 0750);
}
