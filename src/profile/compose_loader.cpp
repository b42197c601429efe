#include "profile/compose_loader.h"

#include <filesystem>
#include <cstring>
#include <set>

#include "profile/compose_merge.h"
#include "profile/compose_parse.h"
#include "profile/load_steps.h"
#include "profile/loader.h"
#include "profile/reader.h"
#include "profile/validate.h"
#include "util/paths.h"
#include "util/crypto.h"
#include "util/strings.h"

namespace biodev::profile {

namespace fs = std::filesystem;

namespace {

constexpr int kMaxIncludeDepth = 16;

struct Loading {
  std::string project_dir;
  const Variables* vars = nullptr;
  Diagnostics* diags = nullptr;
  std::vector<std::string>* warnings = nullptr;
  std::vector<std::string> chain;  // include:/extends: files being read, for cycles
};

std::string absolute(const std::string& path, const std::string& dir) {
  fs::path p(path);
  if (p.is_relative()) p = fs::path(dir) / p;
  return normal_path(p).string();
}

// A compose file parsed, checked to be a mapping, and interpolated.
Node read_compose_file(const std::string& path, const SourceLoc& where, Loading& ld,
                       const Variables& vars) {
  std::string display = project_relative(path, ld.project_dir);
  auto text = read_text_file(path);
  if (!text) throw ProfileError(where, "compose file " + display + " not found");
  Node root = parse_yaml(*text, display);
  if (root.is_null()) throw ProfileError(root.loc, "the compose file is empty; it needs \"services\"");
  if (!root.is_map())
    throw ProfileError(root.loc, std::string("a compose file must be a mapping at the top level, not ") +
                                     root.kind_name());
  std::set<std::string> used;
  interpolate_tree(root, vars, *ld.diags, *ld.warnings, used);
  return root;
}

Node load_with_includes(const std::string& path, const SourceLoc& where, Loading& ld,
                        const Variables& vars);

// Adds what an included project defines; a name both define is an error, as in compose.
void import_resources(Node& root, const Node& included, const std::string& file, Diagnostics& d) {
  for (const char* section : {"services", "networks", "volumes", "secrets", "configs"}) {
    const Node* theirs = included.get(section);
    if (!theirs || !theirs->is_map()) continue;
    Node* ours = nullptr;
    for (auto& [k, v] : root.entries)
      if (k == section) ours = &v;
    if (!ours) {
      root.entries.emplace_back(section, *theirs);
      root.key_locs.push_back(included.key_loc(section));
      continue;
    }
    for (size_t i = 0; i < theirs->entries.size(); ++i) {
      const std::string& name = theirs->entries[i].first;
      if (ours->get(name)) {
        d.add(ours->key_loc(name), std::string(section).substr(0, std::strlen(section) - 1) + " " +
                                       name + " is also defined by the included " + file);
        continue;
      }
      ours->entries.push_back(theirs->entries[i]);
      ours->key_locs.push_back(theirs->key_locs[i]);
    }
  }
}

void absolutize_top_paths(Node& root, const std::string& dir) {
  for (auto& [section, defs] : root.entries) {
    if (section == "services")
      for (auto& [name, svc] : defs.entries) absolutize_service_paths(svc, dir);
    if (section == "secrets" || section == "configs")
      for (auto& [name, def] : defs.entries)
        for (auto& [k, v] : def.entries)
          if (k == "file" && v.is_scalar() && !v.scalar.starts_with("/"))
            v.scalar = (fs::path(dir) / v.scalar).lexically_normal().string();
  }
}

// One `include:` entry: a path (or list of paths, merged), with its own project folder
// and env files.
void include_one(Node& root, const Node& entry, const std::string& from_dir, Loading& ld,
                 const Variables& vars) {
  Diagnostics& d = *ld.diags;
  std::vector<const Node*> paths;
  std::string project_dir;
  Variables own_vars = vars;
  if (entry.is_scalar()) {
    paths.push_back(&entry);
  } else {
    MapReader r(entry, "an include entry", d);
    if (auto* x = r.take("path")) {
      if (x->is_seq()) for (const auto& p : x->items) paths.push_back(&p);
      else paths.push_back(x);
    } else {
      d.add(entry.loc, "an include entry needs \"path\"");
    }
    if (auto* x = r.take("project_directory"))
      project_dir = absolute(read_string(*x, d, "project_directory").value_or("."), from_dir);
    if (auto* x = r.take("env_file"))
      for (const auto& f : read_string_list(*x, d, "env_file"))
        load_env_file(absolute(f, from_dir), ld.project_dir, x->loc, true, own_vars, f);
    r.finish();
  }
  Node merged;
  for (const Node* p : paths) {
    auto rel = read_string(*p, d, "include path");
    if (!rel) continue;
    std::string file = absolute(*rel, from_dir);
    if (project_dir.empty()) project_dir = fs::path(file).parent_path().string();
    Node one = load_with_includes(file, p->loc, ld, own_vars);
    if (merged.is_null()) merged = one;
    else merge_compose_files(merged, one);
  }
  if (merged.is_null()) return;
  absolutize_top_paths(merged, project_dir);
  import_resources(root, merged, project_relative(project_dir, ld.project_dir), d);
}

Node load_with_includes(const std::string& path, const SourceLoc& where, Loading& ld,
                        const Variables& vars) {
  if (std::find(ld.chain.begin(), ld.chain.end(), path) != ld.chain.end() ||
      ld.chain.size() > kMaxIncludeDepth) {
    std::vector<std::string> shown;
    for (const auto& f : ld.chain) shown.push_back(project_relative(f, ld.project_dir));
    shown.push_back(project_relative(path, ld.project_dir));
    throw ProfileError(where, "include: cycle: " + join(shown, " -> "));
  }
  ld.chain.push_back(path);
  Node root = read_compose_file(path, where, ld, vars);
  if (const Node* inc = root.get("include")) {
    std::string dir = fs::path(path).parent_path().string();
    if (inc->is_seq())
      for (const auto& entry : inc->items) include_one(root, entry, dir, ld, vars);
    else if (!inc->is_null())
      ld.diags->add(inc->loc, "include must be a list");
  }
  ld.chain.pop_back();
  return root;
}

const char* const kTopKeys[] = {"name", "version", "services", "networks", "volumes",
                                "secrets", "configs", "include", "x-biodev"};

void check_top_keys(const Node& root, const ComposeParse& cp) {
  MapReader r(root, "the compose file", *cp.ctx.diags);
  for (const char* k : kTopKeys) r.take(k);
  for (const auto& [key, value] : root.entries)
    if (key.starts_with("x-")) r.take(key);
  if (root.get("version"))
    cp.warn(root.key_loc("version"), "\"version\" is obsolete and ignored, as docker compose does");
  if (!root.get("services")) cp.ctx.diags->add(root.loc, "the compose file needs \"services\"");
  r.finish();
}

// Compose profiles: a service with profiles: runs only when one of them is active.
void drop_inactive_services(Node& root, const std::vector<std::string>& active) {
  Node* services = nullptr;
  for (auto& [k, v] : root.entries)
    if (k == "services" && v.is_map()) services = &v;
  if (!services) return;
  auto is_active = [&](const Node& svc) {
    const Node* profiles = svc.get("profiles");
    if (!profiles || profiles->items.empty()) return true;
    for (const auto& p : profiles->items)
      if (std::find(active.begin(), active.end(), p.scalar) != active.end()) return true;
    return std::find(active.begin(), active.end(), "*") != active.end();
  };
  Node kept = *services;
  kept.entries.clear();
  kept.key_locs.clear();
  for (size_t i = 0; i < services->entries.size(); ++i) {
    if (!is_active(services->entries[i].second)) continue;
    kept.entries.push_back(services->entries[i]);
    kept.key_locs.push_back(services->key_locs[i]);
  }
  *services = kept;
}

// What compose does with dependencies on services the project does not run: an
// optional one is dropped; one left out by its profiles is an error naming them.
void prune_dependencies(Profile& p, const Node& all_services, Diagnostics& d) {
  for (auto& s : p.services)
    std::erase_if(s.depends_on, [&](const DependsOn& dep) {
      if (p.find(dep.service)) return false;
      if (!dep.required) return true;  // compose skips an optional dependency it does not have
      const Node* other = all_services.get(dep.service);
      if (!other) return false;  // validate() reports the unknown service
      std::vector<std::string> names;
      if (const Node* prof = other->get("profiles"))
        for (const auto& n : prof->items) names.push_back(n.scalar);
      d.add(dep.loc, "service " + s.name + " depends on " + dep.service +
                         ", which runs only with compose profile " + join(names, " or ") +
                         " (activate it with --compose-profile or COMPOSE_PROFILES)");
      return true;
    });
}

void attach_default_network(Profile& p, const SourceLoc& loc) {
  bool uses_default = false;
  for (auto& s : p.services) {
    auto attach = [&](Service& svc) {
      if (svc.networks.empty() && svc.network_mode.empty()) svc.networks.push_back({"default", {}});
      for (const auto& n : svc.networks) uses_default |= n.network == "default";
    };
    attach(s);
    if (s.offline) attach(const_cast<Service&>(*s.offline));
  }
  bool declared = std::any_of(p.networks.begin(), p.networks.end(),
                              [](const Network& n) { return n.name == "default"; });
  if (uses_default && !declared) {
    Network net;
    net.name = "default";
    net.loc = loc;
    p.networks.push_back(net);
  }
}

// Compose's anonymous volumes get a profile volume each, named by service and container
// path so that every up finds the same one: recreating the container keeps its data, as
// compose keeps anonymous volumes across a recreate, and `down -v` removes it with the
// project's other volumes. Engine name: <project>_<service>_anon_<12 hex>.
void declare_anonymous_volumes(Profile& p, Diagnostics& d) {
  auto declare = [&](Service& svc) {
    for (auto& m : svc.mounts) {
      if (!m.anonymous) continue;
      m.source = svc.name + "_anon_" + sha256_hex(m.target).substr(0, 12);
      auto same = std::find_if(p.volumes.begin(), p.volumes.end(),
                               [&](const Volume& v) { return v.name == m.source; });
      if (same == p.volumes.end()) {
        Volume v;
        v.name = m.source;
        v.service = svc.name;
        v.loc = m.loc;
        p.volumes.push_back(v);
      } else if (same->service != svc.name) {
        d.add(same->loc, "volume " + m.source + " has the name biodev gives the anonymous volume of service " +
                             svc.name + " at " + m.target + " (" + m.loc.to_string() + "): rename it");
      }
    }
  };
  for (auto& s : p.services) {
    declare(s);
    if (s.offline) {  // the same volume in both variants
      auto offline = std::make_shared<Service>(*s.offline);
      declare(*offline);
      s.offline = std::move(offline);
    }
  }
}

void check_grants(const Profile& p, Diagnostics& d) {
  for (const auto& s : p.services)
    for (bool secret : {true, false})
      for (const auto& g : secret ? s.secrets : s.configs) {
        const auto& defs = secret ? p.secrets_defs : p.configs_defs;
        if (std::none_of(defs.begin(), defs.end(), [&](const FileSource& f) { return f.name == g.source; }))
          d.add(g.loc, "service " + s.name + " uses undefined " + (secret ? "secret" : "config") + " \"" +
                           g.source + "\" (declare it under the top-level " +
                           (secret ? "secrets:" : "configs:") + ")");
      }
}

// -p / BIODEV_PROJECT, COMPOSE_PROJECT_NAME, the last file's name:, the folder.
std::string project_name(const ComposeOptions& options, const std::vector<Node>& raw,
                         const Variables& vars, const std::string& project_dir) {
  if (!options.project.empty()) return options.project;
  if (auto env = vars.get("COMPOSE_PROJECT_NAME"); env && !env->empty()) return *env;
  for (auto it = raw.rbegin(); it != raw.rend(); ++it)
    if (const Node* n = it->get("name"); n && n->is_scalar()) {
      std::string name = interpolate(n->scalar, vars, n->loc).value;
      if (!is_valid_project_name(name))
        throw ProfileError(n->loc, "invalid project name \"" + name + "\": use lowercase letters, "
                                   "digits, _ and -, starting with a letter or digit");
      return name;
    }
  std::string name = compose_project_name(fs::path(project_dir).filename().string());
  return name.empty() ? "biodev" : name;
}

// The variables of the files: the process's (or the caller's), then the project's .env
// or the --env-file files in their place.
Variables compose_variables(const ComposeOptions& options, const std::string& project_dir) {
  Variables vars = options.vars ? *options.vars : Variables::from_process();
  if (options.env_files.empty())
    load_env_file(project_dir + "/.env", project_dir, SourceLoc{}, false, vars);
  for (const auto& f : options.env_files)
    // As compose: relative to the current folder, not to the project's.
    load_env_file(absolute(f, fs::current_path().string()), project_dir,
                  SourceLoc{"--env-file " + f, 0, 0}, true, vars);
  return vars;
}

// The project name may be used in ${...} of the files: it is settled first, from the
// files as they are before interpolation.
void settle_project_name(const ComposeOptions& options, const std::vector<std::string>& files,
                         Profile& p, Variables& vars) {
  std::vector<Node> raw;
  for (const auto& f : files) {
    auto text = read_text_file(f);
    if (!text) throw ProfileError(SourceLoc{}, "compose file " + project_relative(f, p.project_dir) + " not found");
    raw.push_back(parse_yaml(*text, project_relative(f, p.project_dir)));
  }
  p.project = project_name(options, raw, vars, p.project_dir);
  if (!is_valid_project_name(p.project))
    throw UsageError("invalid project name \"" + p.project + "\": use lowercase letters, digits, _ and -, "
                     "starting with a letter or digit");
  set_builtin_vars(vars, p.project, p.project_dir);
}

// The files merged in order, includes in, `extends` resolved, inactive profiles out.
// `all_services` gets the services before the profiles drop any (dependencies on a
// dropped service are pruned against it).
Node merged_root(const ComposeOptions& options, const std::vector<std::string>& files, Profile& p,
                 Variables& vars, Diagnostics& diags, Node& all_services) {
  Loading ld{p.project_dir, &vars, &diags, &p.warnings, {}};
  Node root;
  for (const auto& f : files) {
    Node one = load_with_includes(f, SourceLoc{}, ld, vars);
    if (root.is_null()) root = one;
    else merge_compose_files(root, one);
  }
  drop_reset_values(root);
  diags.throw_if_any();

  std::map<std::string, Node> other_files;
  ComposeFileReader read_other = [&](const std::string& path, const SourceLoc& where) {
    if (!other_files.count(path)) {
      Loading inner{p.project_dir, &vars, &diags, &p.warnings, {}};
      Node n = read_compose_file(path, where, inner, vars);
      drop_reset_values(n);
      other_files[path] = n;
    }
    return other_files[path];
  };
  for (auto& [k, v] : root.entries)
    if (k == "services") {
      resolve_extends(v, p.project_dir, read_other, diags);
      all_services = v;
    }
  drop_inactive_services(root, options.active_profiles);
  return root;
}

void parse_compose_model(const Node& root, const Node& all_services, Profile& p, Variables& vars,
                         Diagnostics& diags) {
  ParseContext ctx{p.project_dir, &vars, &p.secrets, &diags};
  ComposeParse cp{ctx, {}, {}, &p.warnings};
  check_top_keys(root, cp);
  parse_compose_top(root, cp, p);
  p.substitutes = cp.substitutes;
  for (auto& rule : substitute_rules_from_env(p.project_dir)) p.substitutes.push_back(rule);
  if (const Node* services = root.get("services"); services && services->is_map()) {
    for (size_t i = 0; i < services->entries.size(); ++i)
      p.services.push_back(parse_compose_service(services->entries[i].first, services->entries[i].second,
                                                 services->key_locs[i], cp));
  } else if (services && !services->is_null()) {
    diags.add(services->loc, "services must be a mapping");
  }
  prune_dependencies(p, all_services, diags);
  attach_default_network(p, root.loc);
  declare_anonymous_volumes(p, diags);
  check_grants(p, diags);
}

}  // namespace

Profile load_compose(const ComposeOptions& options) {
  if (options.files.empty()) throw UsageError("no compose file given");
  std::vector<std::string> files;
  for (const auto& f : options.files) files.push_back(absolute(f, fs::current_path().string()));
  Profile p;
  p.format = "compose";
  p.project_dir = options.project_dir.empty()
                      ? fs::path(files.front()).parent_path().string()
                      : absolute(options.project_dir, fs::current_path().string());
  for (const auto& f : files) p.compose_files.push_back(project_relative(f, p.project_dir));
  p.source = join(p.compose_files, " + ");
  p.name = fs::path(files.front()).stem().string();

  Variables vars = compose_variables(options, p.project_dir);
  settle_project_name(options, files, p, vars);
  Diagnostics diags;
  Node all_services;
  Node root = merged_root(options, files, p, vars, diags, all_services);
  parse_compose_model(root, all_services, p, vars, diags);
  diags.throw_if_any();
  validate(p);
  collect_secrets(vars, p);
  return p;
}

}  // namespace biodev::profile
