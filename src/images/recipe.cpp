#include "images/recipe.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>

#include "util/crypto.h"
#include "util/embedded.h"
#include "util/error.h"
#include "util/strings.h"

namespace biodev::images {
namespace {

// Bump when the builder's mmdebstrap arguments or context layout change, so that
// images and cached rootfs tarballs made the old way stop matching.
constexpr std::string_view kFormat = "biodev-recipe/1";
constexpr std::string_view kRoot = "images/";

const std::vector<std::string> kKeys = {"image", "description", "packages", "prepare", "customize"};

[[noreturn]] void bad(const std::string& recipe, const std::string& message) {
  throw UsageError("image recipe '" + recipe + "': " + message);
}

std::string scalar(const YAML::Node& node, const std::string& recipe, const std::string& key) {
  if (!node[key]) return "";
  if (!node[key].IsScalar()) bad(recipe, "'" + key + "' must be a string");
  return node[key].as<std::string>();
}

void check_keys(const YAML::Node& root, const std::string& recipe) {
  for (const auto& kv : root) {
    std::string key = kv.first.as<std::string>();
    if (std::find(kKeys.begin(), kKeys.end(), key) != kKeys.end()) continue;
    std::string hint = closest_match(key, kKeys);
    bad(recipe,
        "unknown key '" + key + "'" + (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
  }
}

// True when `s` is non-empty and every character is a lowercase letter, a digit, or in
// `extra` (uppercase letters too when `upper`).
bool made_of(std::string_view s, std::string_view extra, bool upper = false) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [&](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (upper && c >= 'A' && c <= 'Z') ||
           extra.find(c) != std::string_view::npos;
  });
}

// name[:arch][=version], as apt takes it.
bool is_package(std::string_view p) {
  size_t eq = p.find('=');
  if (eq != std::string_view::npos && !made_of(p.substr(eq + 1), ".+~:-", true)) return false;
  std::string_view name = p.substr(0, eq);
  size_t colon = name.find(':');
  if (colon != std::string_view::npos && !made_of(name.substr(colon + 1), "-")) return false;
  name = name.substr(0, colon);
  return made_of(name, "+.-") && name.front() != '+' && name.front() != '.' && name.front() != '-';
}

// biodev/<name>:<tag>, with Docker's rules for both parts.
bool is_biodev_image(std::string_view image) {
  if (!starts_with(image, "biodev/")) return false;
  std::string_view rest = image.substr(7);
  size_t colon = rest.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view name = rest.substr(0, colon), tag = rest.substr(colon + 1);
  bool name_ok = made_of(name, "._-") &&
                 std::string_view("._-").find(name.front()) == std::string_view::npos &&
                 std::string_view("._-").find(name.back()) == std::string_view::npos;
  bool tag_ok =
      made_of(tag, "_.-", true) && tag.front() != '.' && tag.front() != '-' && tag.size() <= 128;
  return name_ok && tag_ok;
}

std::vector<std::string> package_list(const YAML::Node& root, const std::string& recipe) {
  // Names end up joined by commas in mmdebstrap --include: no room for anything else.
  const YAML::Node node = root["packages"];
  if (!node || !node.IsSequence() || node.size() == 0) {
    bad(recipe, "'packages' must be a non-empty list of Debian package names");
  }
  std::vector<std::string> out;
  for (const auto& item : node) {
    if (!item.IsScalar()) bad(recipe, "'packages' entries must be strings");
    std::string p = item.as<std::string>();
    if (!is_package(p)) bad(recipe, "'" + p + "' is not a Debian package name");
    out.push_back(p);
  }
  return out;
}

void check_image(const std::string& image, const std::string& recipe) {
  if (image.empty()) bad(recipe, "'image' is required (biodev/<name>:<tag>)");
  if (!is_biodev_image(image)) {
    bad(recipe, "'image' must look like biodev/<name>:<tag>, not '" + image + "'");
  }
}

// The first two instructions must be FROM scratch and ADD rootfs.tar /: the builder
// supplies rootfs.tar, and nothing else may form the base.
void check_dockerfile(const std::map<std::string, std::string>& files, const std::string& recipe) {
  auto it = files.find("Dockerfile");
  if (it == files.end()) bad(recipe, "the folder has no Dockerfile");
  std::vector<std::string> instructions;
  for (const std::string& raw : split(it->second, '\n')) {
    std::string line = trim(raw);
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> words;
    for (const std::string& w : split(line, ' ')) {
      if (!trim(w).empty()) words.push_back(trim(w));
    }
    if (!words.empty()) words[0] = to_lower(words[0]);
    instructions.push_back(join(words, " "));
    if (instructions.size() == 2) break;
  }
  if (instructions.size() < 2 || instructions[0] != "from scratch" ||
      instructions[1] != "add rootfs.tar /") {
    bad(recipe, "the Dockerfile must start with 'FROM scratch' and 'ADD rootfs.tar /'");
  }
}

}  // namespace

std::string recipe_hash(const std::map<std::string, std::string>& files, std::string_view suite) {
  std::string input(kFormat);
  input += '\0';
  input += "suite";
  input += '\0';
  input += suite;
  input += '\0';
  for (const auto& [path, data] : files) {  // std::map: sorted by path
    input += path;
    input += '\0';
    input += std::to_string(data.size());
    input += '\0';
    input += data;
  }
  return sha256_hex(input);
}

Recipe parse_recipe(const std::string& name, std::map<std::string, std::string> files,
                    std::string_view suite) {
  auto yaml = files.find("recipe.yaml");
  if (yaml == files.end()) bad(name, "the folder has no recipe.yaml");
  if (files.count("rootfs.tar")) bad(name, "rootfs.tar is made by the builder; remove the file");
  YAML::Node root;
  try {
    root = YAML::Load(yaml->second);
  } catch (const YAML::Exception& e) {
    bad(name, "recipe.yaml: " + std::string(e.what()));
  }
  if (!root.IsMap()) bad(name, "recipe.yaml must be a mapping");
  check_keys(root, name);

  Recipe r;
  r.name = name;
  r.image = scalar(root, name, "image");
  check_image(r.image, name);
  r.description = trim(scalar(root, name, "description"));
  r.packages = package_list(root, name);
  r.prepare = scalar(root, name, "prepare");
  r.customize = scalar(root, name, "customize");
  check_dockerfile(files, name);
  r.suite = std::string(suite);
  r.hash = recipe_hash(files, suite);
  r.files = std::move(files);
  return r;
}

std::vector<std::string> recipe_names() {
  std::set<std::string> names;
  for (const EmbeddedFile& f : embedded_files()) {
    if (!starts_with(f.path, kRoot)) continue;
    std::string_view rest = f.path.substr(kRoot.size());
    size_t slash = rest.find('/');
    if (slash != std::string_view::npos && rest.substr(slash + 1) == "recipe.yaml") {
      names.emplace(rest.substr(0, slash));
    }
  }
  return {names.begin(), names.end()};
}

Recipe load_recipe(std::string_view name, std::string_view suite) {
  std::string prefix = std::string(kRoot) + std::string(name) + "/";
  std::map<std::string, std::string> files;
  for (const EmbeddedFile& f : embedded_files()) {
    if (starts_with(f.path, prefix)) files.emplace(f.path.substr(prefix.size()), f.data);
  }
  if (!files.count("recipe.yaml")) {
    std::vector<std::string> names = recipe_names();
    std::string hint = closest_match(name, names);
    throw UsageError("no image recipe named '" + std::string(name) + "'" +
                     (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
                     "; recipes: " + join(names, ", "));
  }
  return parse_recipe(std::string(name), std::move(files), suite);
}

std::vector<Recipe> load_recipes(std::string_view suite) {
  std::vector<Recipe> out;
  for (const std::string& name : recipe_names()) out.push_back(load_recipe(name, suite));
  return out;
}

std::optional<Recipe> recipe_for_image(std::string_view ref, std::string_view suite) {
  for (const std::string& name : recipe_names()) {
    Recipe r = load_recipe(name, suite);
    if (r.image == ref) return r;
  }
  return std::nullopt;
}

}  // namespace biodev::images
