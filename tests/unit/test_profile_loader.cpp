// Golden tests for the profile loader: every broken profile under tests/profiles/bad
// yields exactly the diagnostics its "# expect:" lines name; every good profile under
// tests/profiles/good prints (biodev config) exactly its expected.yaml.
// BIODEV_UPDATE_GOLDEN=1 rewrites the expected.yaml files.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "profile/errors.h"
#include "profile/loader.h"
#include "profile/print.h"
#include "util/strings.h"

namespace fs = std::filesystem;
using namespace biodev;
using namespace biodev::profile;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A fixed environment: tests must not depend on the developer's shell.
Variables test_vars() {
  return Variables([](const std::string& name) -> std::optional<std::string> {
    if (name == "HOME") return "/home/dev";
    return std::nullopt;
  });
}

std::vector<std::string> expectations(const std::string& text) {
  std::vector<std::string> out;
  for (const auto& line : split(text, '\n'))
    if (line.starts_with("# expect: ")) out.push_back(line.substr(10));
  return out;
}

LoadOptions options_for(const fs::path& profile, const fs::path& dir) {
  LoadOptions o;
  o.profile = profile.string();
  o.project_dir = dir.string();
  o.project = "test";
  o.vars = test_vars();
  return o;
}

}  // namespace

TEST_CASE("every broken profile gives its expected file:line:col diagnostics") {
  fs::path root = fs::path(BIODEV_TEST_DATA) / "profiles" / "bad";
  int cases = 0;
  for (const auto& entry : fs::directory_iterator(root)) {
    fs::path file = entry.is_directory() ? entry.path() / "profile.yaml" : entry.path();
    fs::path dir = entry.is_directory() ? entry.path() : root;
    if (file.extension() != ".yaml") continue;
    ++cases;
    CAPTURE(file.string());
    std::vector<std::string> expected = expectations(slurp(file));
    REQUIRE_FALSE(expected.empty());
    try {
      load_profile(options_for(file.filename(), dir));
      FAIL("loaded without error");
    } catch (const ProfileError& e) {
      const auto& got = e.diagnostics();
      std::string all;
      for (const auto& d : got) all += d.to_string() + "\n";
      CAPTURE(all);
      CHECK(got.size() == expected.size());
      for (size_t i = 0; i < std::min(got.size(), expected.size()); ++i) {
        CAPTURE(got[i].to_string());
        CAPTURE(expected[i]);
        CHECK(got[i].to_string().starts_with(expected[i]));
      }
    }
  }
  CHECK(cases >= 100);
}

TEST_CASE("good profiles print their golden config") {
  fs::path root = fs::path(BIODEV_TEST_DATA) / "profiles" / "good";
  bool update = std::getenv("BIODEV_UPDATE_GOLDEN") != nullptr;
  int cases = 0;
  for (const auto& entry : fs::directory_iterator(root)) {
    if (!entry.is_directory()) continue;
    ++cases;
    CAPTURE(entry.path().string());
    Profile p = load_profile(options_for("profile.yaml", entry.path()));
    std::string out = json_to_yaml(to_json(p, Redactor(p.secrets)));
    // Absolute paths differ per checkout.
    std::string dir = entry.path().string();
    for (size_t pos; (pos = out.find(dir)) != std::string::npos;) out.replace(pos, dir.size(), "$DIR");
    fs::path golden = entry.path() / "expected.yaml";
    if (update) std::ofstream(golden) << out;
    CHECK(out == slurp(golden));
  }
  CHECK(cases >= 1);
}

TEST_CASE("overlay merges maps, replaces lists and deletes keys set to null") {
  fs::path dir = fs::path(BIODEV_TEST_DATA) / "profiles" / "good" / "overlay";
  Profile p = load_profile(options_for("profile.yaml", dir));
  const Service* pg = p.find("postgres");
  REQUIRE(pg);
  REQUIRE(pg->ports.size() == 1);
  CHECK(pg->ports[0].host_port == 0);
  REQUIRE(pg->mounts.size() == 1);
  CHECK(pg->mounts[0].type == MountSpec::Type::kTmpfs);
  CHECK(pg->mounts[0].tmpfs_size == 256LL * 1024 * 1024);
  CHECK(pg->resources.memory_bytes == 2LL * 1024 * 1024 * 1024);  // from the memory pool
  CHECK(pg->restart == "no");                                     // from the << merge key
  REQUIRE(pg->offline);
  CHECK(pg->offline->image == "biodev/postgres:15");
  CHECK(pg->offline->ports[0].host_port == 0);
  const Service* api = p.find("api");
  REQUIRE(api);
  CHECK(api->env_value("MODE") == "ci");
  CHECK(api->env_value("API_KEY") == "dev-key-123");
  CHECK(api->env_value("DATABASE_URL") == "postgresql://bio:s3cr3t-pass@postgres:5432/bio");
  CHECK(api->resources.memory_bytes == 512LL * 1024 * 1024);
  CHECK(api->resources.cpus == 1);
  CHECK(api->command == std::vector<std::string>{"python", "-m", "http.server", "8000"});
  CHECK(p.secrets.count("POSTGRES_PASSWORD"));
}

TEST_CASE("project name: -p wins, else BIODEV_PROJECT, else the folder name") {
  CHECK(sanitize_project_name("My Project.v2") == "my-project-v2");
  CHECK(sanitize_project_name("__x") == "x");
  CHECK(sanitize_project_name("") == "biodev");
  CHECK(is_valid_project_name("bio-1_a"));
  CHECK_FALSE(is_valid_project_name("Bio"));
  CHECK_FALSE(is_valid_project_name("-bio"));
}

TEST_CASE("built-in profiles load and validate") {
  for (const auto& name : available_profiles("/nonexistent")) {
    CAPTURE(name);
    LoadOptions o;
    o.profile = name;
    o.project_dir = BIODEV_SOURCE_DIR;
    o.project = "test";
    o.vars = test_vars();
    Profile p = load_profile(o);
    CHECK_FALSE(p.services.empty());
  }
}
