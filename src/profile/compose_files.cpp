// Which files are compose files, where compose looks for them, and compose's
// project-name rule.
#include <filesystem>
#include <regex>

#include "profile/compose_loader.h"
#include "profile/errors.h"
#include "profile/load_steps.h"
#include "profile/node.h"
#include "util/strings.h"

namespace biodev::profile {

namespace fs = std::filesystem;

std::vector<std::string> find_compose_files(const std::string& dir) {
  static const char* const kNames[] = {"compose.yaml", "compose.yml", "docker-compose.yaml",
                                       "docker-compose.yml"};
  static const char* const kOverrides[] = {"compose.override.yaml", "compose.override.yml",
                                           "docker-compose.override.yaml",
                                           "docker-compose.override.yml"};
  std::error_code ec;
  for (fs::path d = fs::absolute(dir, ec);; d = d.parent_path()) {
    for (const char* name : kNames) {
      if (!fs::is_regular_file(d / name, ec)) continue;
      std::vector<std::string> out{(d / name).string()};
      for (const char* over : kOverrides)
        if (fs::is_regular_file(d / over, ec)) {
          out.push_back((d / over).string());
          break;
        }
      return out;
    }
    if (d == d.parent_path() || d.empty()) return {};
  }
}

bool is_compose_file_name(const std::string& path) {
  static const std::regex re("^(docker-)?compose(\\..+)?\\.ya?ml$");
  return std::regex_match(fs::path(path).filename().string(), re);
}

namespace {

bool has_any(const Node& n, std::initializer_list<const char*> keys) {
  for (const char* k : keys)
    if (n.get(k)) return true;
  return false;
}

}  // namespace

bool is_compose_file(const std::string& ref) {
  bool yaml = ref.ends_with(".yaml") || ref.ends_with(".yml");
  if (!yaml && ref.find('/') == std::string::npos) return false;  // a profile name
  if (is_compose_file_name(ref)) return true;
  auto text = read_text_file(ref);
  if (!text) return false;  // the profile loader reports the missing file
  Node root;
  try {
    root = parse_yaml(*text, ref);
  } catch (const ProfileError&) {
    return false;  // reported by whichever reader runs
  }
  if (!root.is_map()) return false;
  if (has_any(root, {"project", "extends", "env_file", "pools", "exports"})) return false;
  bool compose = has_any(root, {"name", "version", "include", "secrets", "configs", "x-biodev"});
  const Node* services = root.get("services");
  if (services && services->is_map())
    for (const auto& [name, s] : services->entries) {
      if (!s.is_map()) continue;
      if (has_any(s, {"env", "mounts", "ready", "seed", "resources", "stop_grace", "routes",
                      "gateway", "stand_in", "pool", "watch", "offline", "required"}))
        return false;
      compose |= has_any(s, {"environment", "volumes", "build", "expose", "deploy", "container_name",
                             "stop_grace_period", "extends", "profiles", "links", "tmpfs"});
    }
  return compose;
}

std::string compose_project_name(const std::string& folder) {
  std::string out;
  for (char c : to_lower(folder))
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-') out += c;
  size_t start = 0;
  while (start < out.size() && !std::isalnum(static_cast<unsigned char>(out[start]))) ++start;
  return out.substr(start);
}

}  // namespace biodev::profile
