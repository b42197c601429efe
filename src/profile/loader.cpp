#include "profile/loader.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "profile/errors.h"
#include "profile/load_steps.h"
#include "profile/node.h"
#include "profile/parse.h"
#include "profile/reader.h"
#include "profile/validate.h"
#include "util/embedded.h"
#include "util/strings.h"
#include "util/version.h"

namespace biodev::profile {

namespace fs = std::filesystem;

namespace {

constexpr const char* kBuiltinPrefix = "builtin:";
constexpr const char* kProjectNameRule =
    "use lowercase letters, digits, _ and -, starting with a letter or digit";

struct SourceText {
  std::string display;  // what errors call the file
  std::string dir;      // where its relative extends: resolve; "" for built-ins
  std::string text;
};

bool looks_like_path(const std::string& ref) {
  return ref.find('/') != std::string::npos || ref.ends_with(".yaml") || ref.ends_with(".yml");
}

std::optional<std::string> read_file(const std::string& path) { return read_text_file(path); }

std::string display_path(const fs::path& p, const std::string& project_dir) {
  return project_relative(p.string(), project_dir);
}

// `from_dir` is the folder of the file that names `ref` in extends: ("" at the top).
SourceText find_profile(const std::string& ref, const std::string& from_dir,
                        const std::string& project_dir, const SourceLoc& where) {
  if (looks_like_path(ref)) {
    fs::path p(ref);
    if (p.is_relative()) p = fs::path(from_dir.empty() ? project_dir : from_dir) / p;
    p = p.lexically_normal();
    if (auto text = read_file(p.string()))
      return {display_path(p, project_dir), p.parent_path().string(), *text};
    throw ProfileError(where, "profile file " + display_path(p, project_dir) + " not found");
  }
  std::vector<std::string> dirs;
  if (!from_dir.empty()) dirs.push_back(from_dir);
  dirs.push_back(project_dir + "/profiles");
  for (const auto& dir : dirs) {
    fs::path p = (fs::path(dir) / (ref + ".yaml")).lexically_normal();
    if (auto text = read_file(p.string())) return {display_path(p, project_dir), dir, *text};
  }
  std::string embedded_path = "profiles/" + ref + ".yaml";
  if (auto data = embedded_file(embedded_path))
    return {kBuiltinPrefix + embedded_path, "", std::string(*data)};
  std::string msg = "unknown profile \"" + ref + "\"";
  std::string hint = closest_match(ref, available_profiles(project_dir));
  if (!hint.empty()) msg += " (did you mean \"" + hint + "\"?)";
  msg += "; available: " + join(available_profiles(project_dir), ", ");
  throw ProfileError(where, msg);
}

Node load_merged(const std::string& ref, const std::string& from_dir, const std::string& project_dir,
                 const SourceLoc& where, std::vector<std::string>& chain);

// Parses `src` and merges it over the chain of files it extends, base-first.
Node load_merged_source(const SourceText& src, const std::string& project_dir,
                        const SourceLoc& where, std::vector<std::string>& chain) {
  if (std::find(chain.begin(), chain.end(), src.display) != chain.end()) {
    chain.push_back(src.display);
    throw ProfileError(where, "extends: cycle: " + join(chain, " -> "));
  }
  chain.push_back(src.display);
  Node node = parse_yaml(src.text, src.display);
  if (node.is_null()) throw ProfileError(node.loc, "the profile is empty; it needs \"services\"");
  if (!node.is_map())
    throw ProfileError(node.loc, std::string("a profile must be a mapping at the top level, not ") +
                                     node.kind_name());
  const Node* ext = node.get("extends");
  if (!ext) return node;
  if (!ext->is_scalar() || ext->scalar.empty())
    throw ProfileError(ext->loc, "extends must name one profile (a name or a path)");
  Node base = load_merged(ext->scalar, src.dir, project_dir, ext->loc, chain);
  merge_into(base, node);
  return base;
}

// Loads `ref` and the chain of files it extends, merged base-first.
Node load_merged(const std::string& ref, const std::string& from_dir, const std::string& project_dir,
                 const SourceLoc& where, std::vector<std::string>& chain) {
  return load_merged_source(find_profile(ref, from_dir, project_dir, where), project_dir, where,
                            chain);
}

std::string folder_name(const std::string& dir) {
  return fs::path(dir).filename().string();
}

}  // namespace

std::optional<std::string> read_text_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string project_relative(const std::string& path, const std::string& project_dir) {
  fs::path rel = fs::path(path).lexically_relative(project_dir);
  if (!rel.empty() && *rel.begin() != "..") return rel.string();
  return path;
}

void set_builtin_vars(Variables& vars, const std::string& project, const std::string& project_dir) {
  auto [uid, gid] = data_owner();
  vars.set_builtin("BIODEV_UID", std::to_string(uid));
  vars.set_builtin("BIODEV_GID", std::to_string(gid));
  vars.set_builtin("BIODEV_VERSION", kVersion);
  vars.set_builtin("BIODEV_PROJECT", project);
  vars.set_builtin("BIODEV_PROJECT_DIR", project_dir);
}

void interpolate_tree(Node& n, const Variables& vars, Diagnostics& d,
                      std::vector<std::string>& warnings, std::set<std::string>& used) {
  switch (n.kind) {
    case Node::Kind::kScalar:
      try {
        InterpolationResult r = interpolate(n.scalar, vars, n.loc);
        n.scalar = std::move(r.value);
        used.insert(r.used.begin(), r.used.end());
        for (const auto& name : r.unset)
          warnings.push_back(n.loc.to_string() + ": variable " + name +
                             " is not set; using an empty string");
      } catch (const ProfileError& e) {
        for (const auto& diag : e.diagnostics()) d.add(diag.loc, diag.message);
      }
      break;
    case Node::Kind::kSequence:
      for (auto& item : n.items) interpolate_tree(item, vars, d, warnings, used);
      break;
    case Node::Kind::kMapping:
      for (auto& [k, v] : n.entries) interpolate_tree(v, vars, d, warnings, used);
      break;
    case Node::Kind::kNull:
      break;
  }
}

void load_env_file(const std::string& path, const std::string& project_dir, const SourceLoc& where,
                   bool required, Variables& vars, const std::string& as_written) {
  auto text = read_file(path);
  if (!text) {
    if (!required) return;
    if (as_written.empty()) throw ProfileError(where, "env file " + path + " not found");
    throw ProfileError(where, "env_file \"" + as_written + "\" not found (looked at " + path + ")");
  }
  for (auto& [k, v] : parse_dotenv(*text, display_path(path, project_dir), vars))
    vars.set_dotenv(k, v);
}

void collect_secrets(const Variables& vars, Profile& p) {
  auto trivial = [](const std::string& v) {
    return v.size() < 4 || v == "true" || v == "false" ||
           std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c); });
  };
  for (const auto& [k, v] : vars.dotenv())
    if (!trivial(v) || is_secret_name(k)) p.secrets[k] = v;
  for (const auto& s : p.services) {
    for (const auto& [k, v] : s.env)
      if (is_secret_name(k) && !v.empty()) p.secrets[k] = v;
    if (!s.seed.secret_key.empty()) p.secrets[s.name + ".seed.secret_key"] = s.seed.secret_key;
  }
}

bool is_valid_project_name(const std::string& name) {
  static const std::regex re("^[a-z0-9][a-z0-9_-]*$");
  return name.size() <= 63 && std::regex_match(name, re);
}

std::string sanitize_project_name(const std::string& raw) {
  std::string out;
  for (char c : to_lower(raw)) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
    if (ok) out += c;
    else if (!out.empty() && out.back() != '-') out += '-';
  }
  while (!out.empty() && !std::isalnum(static_cast<unsigned char>(out.front()))) out.erase(0, 1);
  while (!out.empty() && out.back() == '-') out.pop_back();
  if (out.size() > 63) out.resize(63);
  return out.empty() ? "biodev" : out;
}

std::pair<int, int> data_owner() {
  int uid = static_cast<int>(geteuid()), gid = static_cast<int>(getegid());
  if (uid == 0) {
    const char* su = std::getenv("SUDO_UID");
    const char* sg = std::getenv("SUDO_GID");
    if (su && sg && std::atoi(su) > 0) return {std::atoi(su), std::atoi(sg)};
    return {65534, 65534};
  }
  return {uid, gid};
}

std::vector<std::string> available_profiles(const std::string& project_dir) {
  std::set<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(project_dir + "/profiles", ec))
    if (e.path().extension() == ".yaml") names.insert(e.path().stem().string());
  for (const auto& f : embedded_files())
    if (f.path.starts_with("profiles/") && f.path.ends_with(".yaml"))
      names.insert(std::string(f.path.substr(9, f.path.size() - 14)));
  return {names.begin(), names.end()};
}

namespace {

std::string project_dir_of(const LoadOptions& options) {
  return options.project_dir.empty() ? fs::current_path().string() : options.project_dir;
}

// .env files first: they feed interpolation of everything else. --env-file files (or
// the project's .env), then the profile's own env_file: entries.
void load_profile_env(const Node& root, const LoadOptions& options, const std::string& project_dir,
                      Variables& vars) {
  if (!options.env_files.empty()) {
    for (const auto& f : options.env_files) {
      fs::path p = fs::path(f).is_relative() ? fs::current_path() / f : fs::path(f);  // as compose
      load_env_file(p.lexically_normal().string(), project_dir, SourceLoc{"--env-file " + f, 0, 0},
                    true, vars);
    }
  } else {
    load_env_file(project_dir + "/.env", project_dir, SourceLoc{"", 0, 0}, false, vars);
  }
  const Node* ef = root.get("env_file");
  if (!ef) return;
  // Item by item rather than read_string_list, so that a missing file is reported at
  // its own list entry.
  Diagnostics d;
  std::vector<const Node*> items;
  if (ef->is_seq())
    for (const auto& item : ef->items) items.push_back(&item);
  else if (ef->is_scalar())
    items.push_back(ef);
  else if (!ef->is_null())
    d.add(ef->loc,
          std::string("env_file must be a string or a list of strings, not ") + ef->kind_name());
  for (const Node* item : items)
    if (auto f = read_string(*item, d, "env_file entries"))
      load_env_file((fs::path(project_dir) / *f).lexically_normal().string(), project_dir,
                    item->loc, true, vars, *f);
  d.throw_if_any();
}

// Project name: -p, BIODEV_PROJECT, the profile's project:, the folder name.
std::string profile_project_name(const Node& root, const LoadOptions& options,
                                 const std::string& project_dir, const Variables& vars) {
  std::string project = options.project;
  if (project.empty()) project = vars.get("BIODEV_PROJECT").value_or("");
  // The profile's project: is checked even when -p or BIODEV_PROJECT wins, so that a
  // profile is valid or not whatever the command line says.
  if (const Node* pn = root.get("project"); pn && pn->is_scalar()) {
    std::string own = interpolate(pn->scalar, vars, pn->loc).value;
    if (!own.empty() && !is_valid_project_name(own))
      throw ProfileError(pn->loc, "invalid project name \"" + own + "\": " + kProjectNameRule);
    if (project.empty()) project = own;
  }
  if (project.empty()) project = sanitize_project_name(folder_name(project_dir));
  if (!is_valid_project_name(project))
    throw UsageError("invalid project name \"" + project + "\": " + kProjectNameRule);
  return project;
}

// Everything after finding the top-level profile text: extends:, .env, interpolation,
// parsing and validation.
Profile load_from_source(const SourceText& top, const LoadOptions& options) {
  std::string project_dir = project_dir_of(options);
  Variables vars = options.vars ? *options.vars : Variables::from_process();
  std::vector<std::string> chain;
  Node root = load_merged_source(top, project_dir, SourceLoc{"", 0, 0}, chain);
  load_profile_env(root, options, project_dir, vars);

  Profile p;
  p.name = looks_like_path(options.profile) ? fs::path(options.profile).stem().string()
                                            : options.profile;
  p.source = chain.front();
  p.project_dir = project_dir;
  p.project = profile_project_name(root, options, project_dir, vars);
  set_builtin_vars(vars, p.project, project_dir);

  Diagnostics diags;
  std::set<std::string> used;
  interpolate_tree(root, vars, diags, p.warnings, used);
  diags.throw_if_any();

  ParseContext ctx{project_dir, &vars, &p.secrets, &diags};
  std::string project = p.project;
  parse_profile(root, ctx, p);
  p.project = project;  // parse_profile read the raw project: key
  diags.throw_if_any();
  validate(p);
  collect_secrets(vars, p);
  return p;
}

}  // namespace

Profile load_profile(const LoadOptions& options) {
  std::string project_dir = project_dir_of(options);
  return load_from_source(find_profile(options.profile, "", project_dir, SourceLoc{"", 0, 0}),
                          options);
}

Profile load_profile_text(std::string_view text, const std::string& display_name,
                          const LoadOptions& options) {
  return load_from_source(SourceText{display_name, project_dir_of(options), std::string(text)},
                          options);
}

}  // namespace biodev::profile
