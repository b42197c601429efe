// Per-service `extends:` of compose files.
#include <filesystem>

#include "profile/compose_merge.h"
#include "profile/reader.h"
#include "util/strings.h"

namespace biodev::profile {

namespace fs = std::filesystem;

namespace {

struct Extending {
  const ComposeFileReader& read_file;
  Diagnostics& diags;
  std::vector<std::string> chain;  // "file#service" being resolved
};

Node resolve_service(const Node& services, const std::string& name, const std::string& file,
                     const SourceLoc& where, Extending& ex) {
  const Node* found = services.get(name);
  if (!found) throw ProfileError(where, "extends: no service \"" + name + "\" in " +
                                            (file.empty() ? "this file" : fs::path(file).filename().string()));
  std::string key = file + "#" + name;
  if (std::find(ex.chain.begin(), ex.chain.end(), key) != ex.chain.end()) {
    std::vector<std::string> shown;
    for (const auto& k : ex.chain) shown.push_back(k.substr(k.find('#') + 1));
    shown.push_back(name);
    throw ProfileError(where, "extends: cycle: " + join(shown, " -> "));
  }
  Node node = *found;
  const Node* ext = node.get("extends");
  if (!ext) return node;
  std::string base_name, base_file;
  if (ext->is_scalar()) {
    base_name = ext->scalar;
  } else {
    MapReader r(*ext, "extends", ex.diags);
    if (auto* x = r.take("service")) base_name = read_string(*x, ex.diags, "extends.service").value_or("");
    else ex.diags.add(ext->loc, "extends needs \"service\"");
    if (auto* x = r.take("file")) base_file = read_string(*x, ex.diags, "extends.file").value_or("");
    r.finish();
  }
  if (base_name.empty()) return node;
  SourceLoc ext_loc = ext->loc;
  ex.chain.push_back(key);
  Node base;
  if (base_file.empty()) {
    base = resolve_service(services, base_name, file, ext_loc, ex);
  } else {
    Node other = ex.read_file(base_file, ext_loc);
    const Node* other_services = other.get("services");
    if (!other_services) throw ProfileError(ext_loc, "extends: " + base_file + " has no services");
    base = resolve_service(*other_services, base_name, base_file, ext_loc, ex);
    absolutize_service_paths(base, fs::path(base_file).parent_path().string());
  }
  ex.chain.pop_back();
  for (size_t i = 0; i < node.entries.size(); ++i)
    if (node.entries[i].first == "extends") {
      node.entries.erase(node.entries.begin() + static_cast<long>(i));
      node.key_locs.erase(node.key_locs.begin() + static_cast<long>(i));
      break;
    }
  merge_compose_service(base, node);
  base.loc = node.loc;
  return base;
}

}  // namespace

void resolve_extends(Node& services, const std::string& dir, const ComposeFileReader& read_file,
                     Diagnostics& d) {
  if (!services.is_map()) return;
  // extends.file of the files given on the command line resolve against the project folder.
  for (auto& [name, svc] : services.entries) absolutize_service_paths(svc, dir);
  Node original = services;
  for (size_t i = 0; i < services.entries.size(); ++i) {
    Extending ex{read_file, d, {}};
    try {
      services.entries[i].second =
          resolve_service(original, services.entries[i].first, "", services.key_locs[i], ex);
    } catch (const ProfileError& e) {
      for (const auto& diag : e.diagnostics()) d.add(diag.loc, diag.message);
    }
  }
}

}  // namespace biodev::profile
