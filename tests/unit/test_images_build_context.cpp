// The build context: what is sent, and a hash that moves with what matters only.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "images/build_context.h"
#include "util/subprocess.h"

namespace fs = std::filesystem;
using namespace biodev;
using namespace biodev::images;

namespace {

struct Context {
  fs::path dir;
  Context() {
    dir = fs::temp_directory_path() / ("biodev-ctx-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir / "src");
    fs::create_directories(dir / "cache");
    write("Dockerfile", "FROM scratch\nCOPY . /\n");
    write("src/app.py", "print('hi')\n");
    write("cache/big.bin", "xxxx");
    write("notes.md", "notes");
    write(".dockerignore", "cache\n*.md\n");
  }
  ~Context() { fs::remove_all(dir); }
  void write(const std::string& rel, const std::string& text) { std::ofstream(dir / rel) << text; }
  profile::BuildSpec spec() const {
    profile::BuildSpec b;
    b.context = dir.string();
    b.dockerfile = "Dockerfile";
    return b;
  }
  std::string hash(const profile::BuildSpec& b) const { return build_hash(b, read_context(b)); }
};

std::vector<std::string> paths(const BuildContext& c) {
  std::vector<std::string> out;
  for (const auto& e : c.entries) out.push_back(e.path);
  return out;
}

}  // namespace

TEST_CASE("the context is the folder less .dockerignore; the Dockerfile is sent on its own") {
  Context c;
  BuildContext bc = read_context(c.spec());
  CHECK(paths(bc) == std::vector<std::string>{".dockerignore", "src", "src/app.py"});
  CHECK(bc.dockerfile_name == "Dockerfile");
  CHECK(bc.dockerfile_text == "FROM scratch\nCOPY . /\n");
}

TEST_CASE("the hash moves with sources, modes, the Dockerfile, args and target; not with ignored files") {
  Context c;
  profile::BuildSpec b = c.spec();
  std::string h0 = c.hash(b);
  CHECK(c.hash(b) == h0);
  c.write("cache/big.bin", "yyyy");
  c.write("notes.md", "other notes");
  CHECK(c.hash(b) == h0);
  c.write("src/app.py", "print('bye')\n");
  std::string h1 = c.hash(b);
  CHECK(h1 != h0);
  fs::permissions(c.dir / "src/app.py", fs::perms::owner_exec, fs::perm_options::add);
  std::string h2 = c.hash(b);
  CHECK(h2 != h1);
  c.write("Dockerfile", "FROM scratch\n");
  std::string h3 = c.hash(b);
  CHECK(h3 != h2);
  b.args = {{"A", "1"}};
  std::string h4 = c.hash(b);
  CHECK(h4 != h3);
  b.target = "dev";
  std::string h5 = c.hash(b);
  CHECK(h5 != h4);
  // What RUN steps see moves it; how the builder caches does not.
  b.no_cache = true;
  CHECK(c.hash(b) == h5);
  b.network = "host";
  std::string h6 = c.hash(b);
  CHECK(h6 != h5);
  b.extra_hosts = {"mirror:10.0.0.5"};
  std::string h7 = c.hash(b);
  CHECK(h7 != h6);
  b.shm_size = 1 << 28;
  std::string h8 = c.hash(b);
  CHECK(h8 != h7);
  b.ulimits = {{"nofile", 1024, 2048}};
  CHECK(c.hash(b) != h8);
}

TEST_CASE("an inline Dockerfile goes into the tar under its own name") {
  Context c;
  profile::BuildSpec b = c.spec();
  b.dockerfile_inline = "FROM scratch\nCOPY src /src\n";
  BuildContext bc = read_context(b);
  CHECK(bc.dockerfile_name == ".biodev-inline.Dockerfile");
  std::string tar = (c.dir.parent_path() / ("biodev-ctx-" + std::to_string(::getpid()) + ".tar")).string();
  write_context_tar(bc, tar);
  std::string listing;
  SubprocessOptions o;
  o.argv = {"tar", "-tf", tar};
  run_subprocess(o, [&](OutputStream, std::string_view line) { listing += std::string(line) + "\n"; });
  fs::remove(tar);
  CHECK(listing == ".dockerignore\nDockerfile\nsrc/\nsrc/app.py\n.biodev-inline.Dockerfile\n");
}

TEST_CASE("a bad .dockerignore pattern names the file and line") {
  Context c;
  c.write(".dockerignore", "ok\n[z-a]\n");
  CHECK_THROWS_WITH(read_context(c.spec()), doctest::Contains(".dockerignore: line 2: bad pattern"));
}
