#include "profile/builtin_files.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "util/embedded.h"
#include "util/paths.h"
#include "util/version.h"

namespace biodev::profile {

namespace fs = std::filesystem;

namespace {

std::string cache_dir() {
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/biodev";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/biodev";
  return "/tmp/biodev-cache";
}

bool same_content(const fs::path& p, std::string_view data) {
  std::error_code ec;
  if (fs::file_size(p, ec) != data.size() || ec) return false;
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str() == data;
}

}  // namespace

std::string resolve_host_path(const std::string& project_dir, const std::string& rel_in) {
  fs::path rel = fs::path(rel_in).lexically_normal();
  // "." is the folder itself, written as compose writes it: /proj, not /proj/.
  fs::path in_project = normal_path(fs::path(project_dir) / rel);
  if (rel.is_absolute() || rel_in.starts_with("~") || fs::exists(in_project)) return in_project.string();
  std::string prefix = rel.generic_string();
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  if (prefix.empty() || prefix.starts_with("..") || prefix.starts_with(".data")) return in_project.string();
  fs::path root = fs::path(cache_dir()) / "builtin" / kVersion;
  bool found = false;
  for (const auto& f : embedded_files()) {
    if (f.path != prefix && !f.path.starts_with(prefix + "/")) continue;
    if (f.path.starts_with("profiles/") || f.path.starts_with("images/")) continue;
    found = true;
    fs::path out = root / std::string(f.path);
    if (same_content(out, f.data)) continue;
    std::error_code ec;
    fs::create_directories(out.parent_path(), ec);
    std::ofstream(out, std::ios::binary | std::ios::trunc).write(f.data.data(), static_cast<long>(f.data.size()));
  }
  return found ? normal_path(root / prefix).string() : in_project.string();
}

}  // namespace biodev::profile
