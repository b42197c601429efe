// stack/up.h without the CLI: which services an `up SVC` brings, and the host folders
// its binds need.
#include <doctest/doctest.h>

#include <filesystem>

#include "plan/desired.h"
#include "profile/loader.h"
#include "stack/up.h"
#include "temp_dir.h"
#include "util/error.h"

using namespace biodev;
namespace fs = std::filesystem;

namespace {

profile::Profile load(const std::string& text, const std::string& dir) {
  profile::LoadOptions o;
  o.project = "t";
  o.project_dir = dir;
  o.profile = "p.yaml";
  o.vars = profile::Variables([](const std::string&) -> std::optional<std::string> { return std::nullopt; });
  return profile::load_profile_text(text, "p.yaml", o);
}

const char* kChain = R"(services:
  db: { image: postgres:16 }
  cache: { image: redis:7 }
  api: { image: app:1, depends_on: [db, cache] }
  web: { image: web:1, depends_on: [api] }
  tool: { image: tool:1 }
)";

}  // namespace

TEST_CASE("with_dependencies: the services named and all they depend on, transitively") {
  testing::TempDir dir;
  profile::Profile p = load(kChain, dir.path);
  CHECK(stack::with_dependencies(p, {"web"}) ==
        std::set<std::string>{"api", "cache", "db", "web"});
  CHECK(stack::with_dependencies(p, {"tool", "cache"}) == std::set<std::string>{"cache", "tool"});
  CHECK(stack::with_dependencies(p, {}).empty());
}

TEST_CASE("with_dependencies: an unknown service is a usage error with the closest name") {
  testing::TempDir dir;
  profile::Profile p = load(kChain, dir.path);
  try {
    stack::with_dependencies(p, {"wen"});
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::kUsage);
    CHECK(std::string(e.what()) ==
          "unknown service \"wen\" (did you mean \"web\"?); the profile has: db, cache, api, web, tool");
  }
}

TEST_CASE("prepare_host_paths: data folders are made, a missing bind source is refused") {
  testing::TempDir dir;
  fs::create_directories(dir.path + "/src");
  profile::Profile p = load(R"(services:
  db:
    image: postgres:16
    mounts: ["./.data/db:/var/lib/postgresql/data"]
  api:
    image: app:1
    mounts: ["./src:/app/src"]
)",
                            dir.path);
  plan::DesiredOptions o;
  stack::prepare_host_paths(p, o);
  CHECK(fs::is_directory(dir.path + "/.data/db"));

  fs::remove_all(dir.path + "/src");
  try {
    stack::prepare_host_paths(p, o);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::kUsage);
    CHECK(std::string(e.what()).find("service api mounts " + dir.path + "/src, which does not exist") !=
          std::string::npos);
  }
  o.services = {"db"};  // only the services asked for are checked
  CHECK_NOTHROW(stack::prepare_host_paths(p, o));
}
