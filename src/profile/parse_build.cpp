// `build:` (compose syntax), shared by the compose reader and biodev's own profiles.
#include <filesystem>

#include "profile/builtin_files.h"
#include "profile/parse.h"
#include "profile/reader.h"

namespace biodev::profile {

namespace fs = std::filesystem;

namespace {

// Compose build keys biodev does not implement: an error naming the key beats a build
// that quietly differs from docker compose's.
constexpr const char* kUnsupported[] = {"ssh",  "secrets",   "tags",       "platforms",
                                        "cache_to", "pull", "isolation", "privileged", "additional_contexts"};

// `args:` / `labels:` as a mapping or a list of "KEY=value" (a list entry without '=' takes
// the variable's value from the environment, and is left out when unset, as compose does).
std::vector<std::pair<std::string, std::string>> read_pairs(const Node& n, const ParseContext& ctx,
                                                            const std::string& what) {
  Diagnostics& d = *ctx.diags;
  std::vector<std::pair<std::string, std::string>> out;
  if (n.is_map()) {
    for (const auto& [k, v] : n.entries) {
      if (v.is_null()) continue;  // "KEY:" with no value: unset, as in compose
      if (auto s = read_string(v, d, what + " " + k)) out.emplace_back(k, *s);
    }
  } else if (n.is_seq()) {
    for (const auto& item : n.items) {
      auto s = read_string(item, d, what + " entries");
      if (!s) continue;
      auto eq = s->find('=');
      if (eq != std::string::npos) {
        out.emplace_back(s->substr(0, eq), s->substr(eq + 1));
      } else if (auto v = ctx.vars ? ctx.vars->get(*s) : std::nullopt) {
        out.emplace_back(*s, *v);
      }
    }
  } else {
    d.add(n.loc, what + " must be a mapping or a list of KEY=value, not " + n.kind_name());
  }
  return out;
}

// Where the Dockerfile is, relative to the context; checked against the disk.
void resolve_dockerfile(BuildSpec& b, const Node* at, const SourceLoc& fallback, Diagnostics& d,
                        const std::string& service) {
  if (!b.dockerfile_inline.empty()) return;
  const SourceLoc& loc = at ? at->loc : fallback;
  fs::path file = fs::path(b.dockerfile);
  fs::path full = (file.is_absolute() ? file : fs::path(b.context) / file).lexically_normal();
  fs::path rel = full.lexically_relative(b.context);
  if (rel.empty() || rel.native().starts_with("..")) {
    d.add(loc, "service " + service + ": the Dockerfile " + full.string() +
                   " is outside the build context " + b.context);
    return;
  }
  b.dockerfile = rel.string();
  std::error_code ec;
  if (!fs::is_regular_file(full, ec))
    d.add(loc, "service " + service + ": no Dockerfile at " + full.string());
}

}  // namespace

BuildSpec parse_build(const Node& n, const ParseContext& ctx, const std::string& service) {
  Diagnostics& d = *ctx.diags;
  BuildSpec b;
  b.loc = n.loc;
  b.dockerfile = "Dockerfile";
  std::string context = ".";
  const Node* context_node = &n;
  const Node* dockerfile_node = nullptr;
  const std::string w = "service " + service + " build";
  if (n.is_scalar()) {
    context = n.scalar;
  } else if (n.is_map()) {
    MapReader r(n, w, d);
    if (auto* x = r.take("context")) {
      context = read_string(*x, d, w + ".context").value_or(".");
      context_node = x;
    }
    if ((dockerfile_node = r.take("dockerfile")))
      b.dockerfile = read_string(*dockerfile_node, d, w + ".dockerfile").value_or("Dockerfile");
    if (auto* x = r.take("dockerfile_inline"))
      b.dockerfile_inline = read_string(*x, d, w + ".dockerfile_inline").value_or("");
    if (auto* x = r.take("args")) b.args = read_pairs(*x, ctx, w + ".args");
    if (auto* x = r.take("target")) b.target = read_string(*x, d, w + ".target").value_or("");
    if (auto* x = r.take("labels"))
      for (auto& [k, v] : read_pairs(*x, ctx, w + ".labels")) b.labels[k] = v;
    // Kept, not sent: given cache_from, the classic builder looks for layers only in those
    // images, so one that is not here (a registry image, offline) would cost every layer
    // the local cache has.
    if (auto* x = r.take("cache_from")) b.cache_from = read_string_list(*x, d, w + ".cache_from");
    // What RUN steps see: the engine's /build takes them as they are.
    if (auto* x = r.take("network")) b.network = read_string(*x, d, w + ".network").value_or("");
    if (auto* x = r.take("extra_hosts")) b.extra_hosts = parse_extra_hosts(*x, d);
    if (auto* x = r.take("shm_size")) b.shm_size = read_bytes(*x, d, w + ".shm_size").value_or(0);
    if (auto* x = r.take("ulimits")) b.ulimits = parse_ulimits(*x, d);
    if (auto* x = r.take("no_cache")) b.no_cache = read_bool(*x, d, w + ".no_cache").value_or(false);
    for (const char* key : kUnsupported)
      if (r.take(key))
        d.add(n.key_loc(key), w + "." + key + " is not supported by biodev (docs/profile.md, build:)");
    r.finish();
  } else {
    d.add(n.loc, w + " must be a context folder or a mapping, not " + n.kind_name());
    return b;
  }
  if (context.find("://") != std::string::npos || context.starts_with("git@")) {
    d.add(context_node->loc, w + ": remote contexts (" + context + ") are not supported; clone it and give the folder");
    return b;
  }
  b.context = resolve_host_path(ctx.project_dir, context);  // normal, no trailing slash
  std::error_code ec;
  if (!fs::is_directory(b.context, ec)) {
    d.add(context_node->loc, w + ": the context folder " + b.context + " does not exist");
    return b;
  }
  resolve_dockerfile(b, dockerfile_node, context_node->loc, d, service);
  return b;
}

}  // namespace biodev::profile
