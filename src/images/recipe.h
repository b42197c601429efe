// Offline image recipes: the folders under images/ compiled into the binary
// (images/README.md describes the format).
//
// A recipe is identified by a hash over every file of its folder and the Debian suite,
// so any edit (a package, a line of the entrypoint) gives a new hash, and the hash
// labelled on an image says whether that image is still current.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace biodev::images {

inline constexpr const char* kDefaultSuite = "bookworm";

struct Recipe {
  std::string name;                   // folder name: "postgres"
  std::string image;                  // "biodev/postgres:15"
  std::string description;            // may be empty
  std::vector<std::string> packages;  // Debian packages for mmdebstrap --include
  std::string prepare;                // sh, in the chroot after the Essential set (may be empty)
  std::string customize;              // sh, in the chroot after `packages` (may be empty)
  // Every file of the folder by path relative to it ("Dockerfile", "recipe.yaml", ...).
  std::map<std::string, std::string> files;
  std::string suite;  // "bookworm"
  std::string hash;   // lowercase hex sha256, see recipe_hash()
};

// sha256 over the files (sorted by path; each as path, size and bytes) and the suite,
// plus a format tag that changes when the builder's mmdebstrap invocation does.
std::string recipe_hash(const std::map<std::string, std::string>& files, std::string_view suite);

// Parses and checks a recipe from its folder's files. Throws UsageError naming the
// recipe and the problem (missing/unknown key, bad package name, Dockerfile not
// starting FROM scratch + ADD rootfs.tar /, a file named rootfs.tar).
Recipe parse_recipe(const std::string& name, std::map<std::string, std::string> files,
                    std::string_view suite = kDefaultSuite);

// Names of the embedded recipes ("postgres", "python", ...), sorted.
std::vector<std::string> recipe_names();

// The embedded recipe called `name`; UsageError (with a suggestion) when there is none.
Recipe load_recipe(std::string_view name, std::string_view suite = kDefaultSuite);

// All embedded recipes, sorted by name.
std::vector<Recipe> load_recipes(std::string_view suite = kDefaultSuite);

// The embedded recipe whose `image` is `ref` ("biodev/redis:7"), if any.
std::optional<Recipe> recipe_for_image(std::string_view ref,
                                       std::string_view suite = kDefaultSuite);

}  // namespace biodev::images
