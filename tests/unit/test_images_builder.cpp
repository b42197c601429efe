#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "images/builder.h"
#include "util/error.h"

using namespace biodev;
using namespace biodev::images;

namespace {

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

TEST_CASE("builder: parse_ldd keeps real files, loader included") {
  std::string out =
      "\tlinux-vdso.so.1 (0x00007ffc1a5f2000)\n"
      "\tlibyaml-cpp.so.0.7 => /lib/x86_64-linux-gnu/libyaml-cpp.so.0.7 (0x00007f3c)\n"
      "\tlibstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007f3b)\n"
      "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f3a)\n"
      "\tlibm.so.6 => /lib/x86_64-linux-gnu/libm.so.6 (0x00007f39)\n"
      "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f3a)\n"
      "\t/lib64/ld-linux-x86-64.so.2 (0x00007f3d)\n";
  CHECK(parse_ldd(out) == std::vector<std::string>{
                              "/lib/x86_64-linux-gnu/libyaml-cpp.so.0.7",
                              "/lib/x86_64-linux-gnu/libstdc++.so.6",
                              "/lib/x86_64-linux-gnu/libc.so.6",
                              "/lib/x86_64-linux-gnu/libm.so.6",
                              "/lib64/ld-linux-x86-64.so.2",
                          });
  CHECK(parse_ldd("\tstatically linked\n").empty());
  CHECK_THROWS_AS(parse_ldd("\tlibgone.so.1 => not found\n"), Error);
}

TEST_CASE("builder: the mmdebstrap command line") {
  Recipe r = load_recipe("postgres");
  BuildOptions o;
  std::vector<std::string> a = mmdebstrap_argv(r, o, "/tmp/dir with space", "/c/x.tar", "/ca.crt");
  CHECK(a.front() == "mmdebstrap");
  CHECK(has(a, "--variant=minbase"));
  CHECK(has(a, "--include=postgresql-15,libnss-wrapper,gzip"));
  CHECK(has(a, "--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr"));
  CHECK(has(a, "--dpkgopt=path-exclude=/usr/share/doc/*"));
  CHECK(has(a, "--essential-hook=sync-in '/tmp/dir with space' /tmp/biodev-recipe"));
  CHECK(has(a, "--customize-hook=upload /ca.crt /tmp/biodev-host-ca.crt"));
  // The scripts run in the chroot, single-quoted whole.
  auto prepare = std::find_if(a.begin(), a.end(), [](const std::string& s) {
    return s.rfind("--essential-hook=chroot \"$1\" /usr/bin/env BIODEV_RECIPE_DIR=", 0) == 0;
  });
  REQUIRE(prepare != a.end());
  CHECK(prepare->find("/bin/sh -ec 'echo '\\''postgres:x:999") != std::string::npos);
  auto customize = std::find_if(a.begin(), a.end(), [](const std::string& s) {
    return s.rfind("--customize-hook=chroot", 0) == 0;
  });
  REQUIRE(customize != a.end());
  CHECK(customize->find("BIODEV_HOST_CA=/tmp/biodev-host-ca.crt") != std::string::npos);
  // suite, output, then one sources line per archive.
  REQUIRE(a.size() > 5);
  CHECK(a[a.size() - 5] == "bookworm");
  CHECK(a[a.size() - 4] == "/c/x.tar");
  CHECK(a[a.size() - 3] == "deb http://deb.debian.org/debian bookworm main");
  CHECK(a[a.size() - 2] == "deb http://deb.debian.org/debian bookworm-updates main");
  CHECK(a[a.size() - 1] == "deb http://deb.debian.org/debian-security bookworm-security main");

  // No CA on the host: no upload, no variable.
  std::vector<std::string> b = mmdebstrap_argv(r, o, "/d", "/o.tar");
  CHECK(std::none_of(b.begin(), b.end(), [](const std::string& s) {
    return s.find("biodev-host-ca") != std::string::npos;
  }));
}

TEST_CASE("builder: cache directory and runtime tag") {
  BuildOptions o;
  o.cache_dir = "/somewhere";
  CHECK(cache_root(o) == "/somewhere");
  const char* old = std::getenv("XDG_CACHE_HOME");
  std::string saved = old ? old : "";
  setenv("XDG_CACHE_HOME", "/xdg", 1);
  CHECK(cache_root(BuildOptions{}) == "/xdg/biodev");
  setenv("XDG_CACHE_HOME", "relative", 1);  // not absolute: ignored, as the spec says
  CHECK(cache_root(BuildOptions{}).find("/.cache/biodev") != std::string::npos);
  if (old) {
    setenv("XDG_CACHE_HOME", saved.c_str(), 1);
  } else {
    unsetenv("XDG_CACHE_HOME");
  }
  CHECK(runtime_image_tag("1.2.3") == "biodev/runtime:1.2.3");
  CHECK(runtime_image_tag().rfind("biodev/runtime:", 0) == 0);
}
