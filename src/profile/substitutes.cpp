#include "profile/substitutes.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "profile/healthcheck_probe.h"
#include "profile/reader.h"
#include "profile/substitute_contracts.h"
#include "util/strings.h"

namespace biodev::profile {
namespace {

// An image reference as the engine reads it: repository without docker.io/ and
// library/, tag ("" when none was given), digest dropped.
struct ImageName {
  std::string repo, tag;
};

ImageName normalize(std::string ref) {
  if (size_t at = ref.find('@'); at != std::string::npos) ref.resize(at);
  ImageName n;
  size_t slash = ref.rfind('/');
  size_t colon = ref.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    n.tag = ref.substr(colon + 1);
    ref.resize(colon);
  }
  for (std::string_view host : {"docker.io/", "index.docker.io/", "registry-1.docker.io/"})
    if (starts_with(ref, host)) ref = ref.substr(host.size());
  if (starts_with(ref, "library/")) ref = ref.substr(8);
  n.repo = to_lower(ref);
  return n;
}

// `pattern` ends with '*': a prefix of `text`; else all of it.
bool glob_matches(const std::string& pattern, const std::string& text) {
  if (ends_with(pattern, "*")) return starts_with(text, pattern.substr(0, pattern.size() - 1));
  return pattern == text;
}

bool rule_matches(const std::string& pattern, const ImageName& image) {
  // "ghcr.io/acme/*" has no tag; "postgres:16*" has one.
  ImageName p = normalize(pattern);
  if (!glob_matches(p.repo, image.repo)) return false;
  return p.tag.empty() || glob_matches(p.tag, image.tag.empty() ? "latest" : image.tag);
}

void note(std::vector<std::string>* warnings, const Service& s, const std::string& text) {
  if (warnings) warnings->push_back(s.loc.to_string() + ": service " + s.name + ": " + text);
}

bool same_test(const std::optional<Healthcheck>& a, const std::optional<Healthcheck>& b) {
  return a.has_value() == b.has_value() && (!a || a->test == b->test);
}

}  // namespace

std::optional<std::string> substitute_image(const std::string& upstream, const std::vector<SubstituteRule>& user_rules) {
  ImageName name = normalize(upstream);
  for (const auto& r : user_rules)
    if (rule_matches(r.pattern, name)) return r.image;
  std::string image = builtin_image(family_of_repo(name.repo));
  if (image.empty()) return std::nullopt;
  return image;
}

SubstituteFamily family_of_substitute(const Service& s) {
  if (s.substitute_for.empty()) return SubstituteFamily::kNone;
  SubstituteFamily f = family_of_repo(normalize(s.substitute_for).repo);
  return builtin_image(f) == s.image ? f : SubstituteFamily::kNone;
}

void apply_offline_substitute(Service& s, const std::vector<SubstituteRule>& user_rules,
                              const std::string& project_dir, std::vector<std::string>* warnings) {
  if (s.offline || s.image.empty() || s.build || starts_with(s.image, "biodev/")) return;
  std::vector<SubstituteRule> rules = user_rules;
  for (auto& r : substitute_rules_from_env(project_dir)) rules.push_back(std::move(r));
  auto image = substitute_image(s.image, rules);
  if (!image) return;
  auto off = std::make_shared<Service>(s);
  off->image = *image;
  off->substitute_for = s.image;
  off->pull_policy.clear();  // the substitute is built here, never pulled
  std::vector<std::string> notes;
  adapt_to_contract(*off, family_of_substitute(*off), normalize(s.image).tag, notes);
  for (const auto& n : notes) note(warnings, s, n);
  s.offline = std::move(off);
}

std::vector<SubstituteRule> read_substitute_rules(const Node& map, Diagnostics& d) {
  std::vector<SubstituteRule> out;
  if (!map.is_map()) {
    d.add(map.loc, "substitutes must be a mapping of upstream image to local image (\"postgres:16\": \"local/pg:16\")");
    return out;
  }
  for (size_t i = 0; i < map.entries.size(); ++i) {
    const auto& [pattern, value] = map.entries[i];
    auto image = read_string(value, d, "substitute for " + pattern);
    if (!image) continue;
    if (pattern.empty() || image->empty() || image->find(' ') != std::string::npos)
      d.add(value.loc, "substitute for \"" + pattern + "\" must name an image (\"local/image:tag\")");
    else out.push_back({pattern, *image, map.key_locs[i]});
  }
  return out;
}

std::vector<SubstituteRule> substitute_rules_from_env(const std::string& project_dir) {
  const char* env = std::getenv("BIODEV_SUBSTITUTES");
  if (!env || !*env) return {};
  std::filesystem::path path(env);
  if (path.is_relative() && !project_dir.empty()) path = std::filesystem::path(project_dir) / path;
  std::ifstream in(path);
  if (!in) throw ProfileError(SourceLoc{path.string(), 0, 0}, "cannot read the BIODEV_SUBSTITUTES file");
  std::stringstream text;
  text << in.rdbuf();
  Node root = parse_yaml(text.str(), path.string());
  Diagnostics d;
  const Node* map = &root;
  if (root.is_map() && root.entries.size() == 1 && root.entries[0].first == "substitutes") map = &root.entries[0].second;
  auto rules = read_substitute_rules(*map, d);
  d.throw_if_any();
  return rules;
}

std::string substitution_text(const std::string& upstream, const std::string& image) {
  return upstream.empty() ? image : upstream + " -> " + image + " (offline substitute)";
}

std::string substitution_text(const Service& s) {
  return s.substitute_for.empty() ? "" : substitution_text(s.substitute_for, s.image);
}

std::string readiness_summary(const Service& base, const Service& eff) {
  if (eff.ready.kind == ProbeSpec::Kind::kNone)
    return "ready once running (no ready probe, and no healthcheck biodev recognises)";
  std::string out = "ready by biodev's probe of " + describe_probe(eff.ready);
  if (!eff.substitute_for.empty() && base.healthcheck && !same_test(base.healthcheck, eff.healthcheck)) {
    auto missing = missing_programs(family_of_substitute(eff), base.healthcheck->test);
    std::string what = missing.empty() ? "healthcheck" : "healthcheck " + join(missing, ", ");
    return out + " (" + what + " not in the substitute; Docker's healthcheck " +
           (eff.healthcheck ? "replaced by one it can run)" : "dropped)");
  }
  if (eff.healthcheck && !eff.healthcheck->test.empty() && eff.healthcheck->test[0] != "NONE") {
    std::vector<std::string> own = {eff.name};
    auto hp = probe_from_healthcheck(eff.healthcheck->test, own);
    if (hp && hp->kind == eff.ready.kind && hp->port == eff.ready.port &&
        (hp->kind != ProbeSpec::Kind::kHttp || hp->path == eff.ready.path))
      return out + " (the same check as its healthcheck, which Docker also runs)";
    return out + " (its ready probe; Docker runs its healthcheck too)";
  }
  return out + " (its ready probe)";
}

}  // namespace biodev::profile
