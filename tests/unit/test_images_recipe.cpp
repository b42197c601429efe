#include <doctest/doctest.h>

#include <map>
#include <string>

#include "images/recipe.h"
#include "util/error.h"

using namespace biodev;
using namespace biodev::images;

namespace {

std::map<std::string, std::string> minimal_files() {
  return {
      {"recipe.yaml",
       "image: biodev/demo:1\n"
       "description: a demo\n"
       "packages: [hello, libc6:amd64, tzdata=2024a-0+deb12u1]\n"
       "customize: |\n  echo hi\n"},
      {"Dockerfile", "# syntax note\nFROM   scratch\n\nadd rootfs.tar /\nCMD [\"hello\"]\n"},
      {"entry.sh", "#!/bin/sh\n"},
  };
}

std::string error_of(std::map<std::string, std::string> files) {
  try {
    parse_recipe("demo", std::move(files));
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("recipe: parses the keys and keeps every file") {
  Recipe r = parse_recipe("demo", minimal_files());
  CHECK(r.name == "demo");
  CHECK(r.image == "biodev/demo:1");
  CHECK(r.description == "a demo");
  CHECK(r.packages == std::vector<std::string>{"hello", "libc6:amd64", "tzdata=2024a-0+deb12u1"});
  CHECK(r.prepare.empty());
  CHECK(r.customize == "echo hi\n");
  CHECK(r.files.size() == 3);
  CHECK(r.suite == "bookworm");
  CHECK(r.hash.size() == 64);
}

TEST_CASE("recipe: the hash covers every file, the suite, and nothing else") {
  std::string base = parse_recipe("demo", minimal_files()).hash;
  CHECK(parse_recipe("other-name", minimal_files()).hash == base);
  CHECK(recipe_hash(minimal_files(), "bookworm") == base);

  auto edited = minimal_files();
  edited["entry.sh"] += "echo changed\n";
  CHECK(parse_recipe("demo", edited).hash != base);

  auto added = minimal_files();
  added["extra/file.txt"] = "";
  CHECK(parse_recipe("demo", added).hash != base);

  CHECK(parse_recipe("demo", minimal_files(), "trixie").hash != base);

  // Moving bytes between a name and its content must not collide.
  CHECK(recipe_hash({{"ab", "c"}}, "s") != recipe_hash({{"a", "bc"}}, "s"));
  // Golden: a change to the hash's input layout must be deliberate.
  CHECK(recipe_hash({{"Dockerfile", "FROM scratch\n"}}, "bookworm") ==
        "d24b96cca684e2a6d7b0b8ac27bd7dbdae04f30878135ed20896cbce3c9a04ba");
}

TEST_CASE("recipe: problems are usage errors that name the recipe") {
  auto files = minimal_files();
  files.erase("recipe.yaml");
  CHECK(error_of(files).find("no recipe.yaml") != std::string::npos);

  files = minimal_files();
  files["recipe.yaml"] += "packges: [x]\n";
  CHECK(error_of(files).find("unknown key 'packges' (did you mean 'packages'?)") !=
        std::string::npos);

  files = minimal_files();
  files["recipe.yaml"] = "image: biodev/demo:1\npackages: []\n";
  CHECK(error_of(files).find("non-empty list") != std::string::npos);

  files = minimal_files();
  files["recipe.yaml"] = "image: biodev/demo:1\npackages: [\"a,b\"]\n";
  CHECK(error_of(files).find("not a Debian package name") != std::string::npos);

  for (const char* p : {"-a", "a b", "a;b", "Abc", "a:", "a=", "a=1 2", "a:AMD64"}) {
    files = minimal_files();
    files["recipe.yaml"] = std::string("image: biodev/demo:1\npackages: [\"") + p + "\"]\n";
    CHECK_MESSAGE(error_of(files).find("not a Debian package name") != std::string::npos, std::string(p));
  }

  for (const char* image : {"postgres:15", "biodev/demo", "biodev/demo:", "biodev/Demo:1",
                            "biodev/-demo:1", "biodev/demo:-1", "biodev/a/b:1"}) {
    files = minimal_files();
    files["recipe.yaml"] = std::string("image: \"") + image + "\"\npackages: [a]\n";
    CHECK_MESSAGE(error_of(files).find("biodev/<name>:<tag>") != std::string::npos, std::string(image));
  }
  files = minimal_files();
  files["recipe.yaml"] = "image: biodev/my-db.x_y:15.4-rc_1\npackages: [g++, libc6:amd64]\n";
  CHECK(error_of(files).empty());

  files = minimal_files();
  files["Dockerfile"] = "FROM debian:bookworm\n";
  CHECK(error_of(files).find("FROM scratch") != std::string::npos);

  files = minimal_files();
  files["rootfs.tar"] = "";
  CHECK(error_of(files).find("rootfs.tar is made by the builder") != std::string::npos);

  files = minimal_files();
  files["recipe.yaml"] = "image: [biodev/demo:1]\npackages: [a]\n";
  CHECK(error_of(files).find("'image' must be a string") != std::string::npos);

  files = minimal_files();
  files["recipe.yaml"] = "image: biodev/demo:1\npackages: [a\n";
  CHECK(error_of(files).find("recipe.yaml:") != std::string::npos);

  CHECK(error_of(minimal_files()).empty());
}

TEST_CASE("recipe: the embedded recipes load and are valid") {
  std::vector<std::string> names = recipe_names();
  CHECK(names == std::vector<std::string>{"postgres", "python", "redis", "s3rver"});
  for (const Recipe& r : load_recipes()) {
    CHECK(r.files.count("Dockerfile") == 1);
    CHECK(r.image.rfind("biodev/" + r.name + ":", 0) == 0);
  }
  CHECK(load_recipe("postgres").image == "biodev/postgres:15");
  CHECK(load_recipe("s3rver").files.count("package-lock.json") == 1);
  REQUIRE(recipe_for_image("biodev/redis:7").has_value());
  CHECK(recipe_for_image("biodev/redis:7")->name == "redis");
  CHECK_FALSE(recipe_for_image("redis:7").has_value());

  try {
    load_recipe("postgress");
    FAIL("expected a UsageError");
  } catch (const UsageError& e) {
    CHECK(std::string(e.what()).find("did you mean 'postgres'?") != std::string::npos);
  }
}
