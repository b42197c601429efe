#include "images/service_build.h"

#include <chrono>
#include <cstdlib>
#include <deque>
#include <map>
#include <regex>
#include <stdexcept>

#include "docker/errors.h"
#include "images/assemble.h"
#include "images/build_context.h"
#include "images/build_steps.h"
#include "plan/labels.h"
#include "util/error.h"
#include "util/strings.h"

namespace biodev::images {

namespace {

using Clock = std::chrono::steady_clock;

std::string temp_root() {
  const char* tmp = std::getenv("TMPDIR");
  return tmp && *tmp ? tmp : "/tmp";
}

// FROM images missing here that a substitute can stand for when no registry answers.
std::map<std::string, std::string> offline_bases(docker::Client& client, const BuildContext& ctx,
                                                 const ServiceBuildOptions& o, const std::string& service,
                                                 progress::Reporter& rep) {
  std::map<std::string, std::string> out;
  for (const auto& base : base_images(parse_dockerfile(ctx.dockerfile_text))) {
    if (client.inspect_image(base)) continue;
    auto sub = o.substitute ? o.substitute(base) : profile::substitute_image(base, o.substitutes);
    if (!sub || *sub == base) continue;  // left to the engine, which pulls it
    try {
      rep.event({service, "pulling", base});
      client.pull_image(base, {});
      continue;
    } catch (const docker::EngineError& e) {
      if (e.kind() != docker::ErrorKind::kPullFailed) throw;
    }
    if (!client.inspect_image(*sub)) continue;  // no better: the build names the missing base
    out[base] = *sub;
    rep.event({service, "building", base + " -> " + *sub + " (offline substitute)"});
  }
  return out;
}

// The build's engine output, reported line by line, remembering the current step and the
// lines since it began (for the error message).
struct StepLog {
  int step = 0, steps = 0;
  std::deque<std::string> lines;
  std::string last_image;  // " ---> 6933a01d7678": the image the last finished step made
  void add(const std::string& line) {
    if (line.starts_with("---> ") && line.find(' ', 5) == std::string::npos) last_image = line.substr(5);
    if (int n = step_number(line)) {
      step = n;
      steps = std::atoi(line.c_str() + line.find('/') + 1);
      lines.clear();
      return;
    }
    if (line.starts_with("--->") || line.starts_with("Removing intermediate container")) return;
    lines.push_back(line);
    if (lines.size() > 10) lines.pop_front();
  }
};

// A failed build leaves the image of its last finished step behind, untagged: removed
// unless something still refers to it (a tag, a child image, a container), which makes
// the engine refuse.
void remove_leftover(docker::Client& client, const std::string& image) {
  if (image.empty()) return;
  try {
    auto info = client.inspect_image(image);
    if (info && info->tags.empty()) client.remove_image(image);
  } catch (const std::exception&) {
    // Best effort: the build error is what the user needs to see.
  }
}

}  // namespace

std::string build_tag(const std::string& project, const profile::Service& s) {
  return s.image.empty() ? to_lower(project + "-" + s.name) : s.image;
}

int step_number(std::string_view line) {
  static const std::regex kStep(R"(^Step (\d+)/\d+ : )");
  std::match_results<std::string_view::const_iterator> m;
  if (!std::regex_search(line.begin(), line.end(), m, kStep)) return 0;
  return std::stoi(m[1].str());
}

namespace {

// "service api: build failed at /src/Dockerfile:4 (COPY x /app/): <message>"
std::string build_failure_at(const std::string& service, const std::string& dockerfile,
                             const std::vector<Instruction>& instructions, int line, const std::string& message) {
  std::string where = line ? dockerfile + ":" + std::to_string(line) : dockerfile;
  for (const auto& ins : instructions)
    if (ins.line == line) where += " (" + ins.text.substr(0, 80) + ")";
  return "service " + service + ": build failed at " + where + ": " + message;
}

}  // namespace

std::string build_failure(const std::string& service, const std::string& dockerfile,
                          const std::vector<Instruction>& instructions, int step,
                          const std::string& engine_message) {
  return build_failure_at(service, dockerfile, instructions, error_line(instructions, step, engine_message),
                          engine_message);
}

namespace {

// The project's images that a rebuild left untagged, unless a container still uses them.
void prune_leftovers(docker::Client& client, const std::string& project) {
  try {
    client.prune_images({{"dangling", {"true"}}, {"label", {std::string(labels::kProject) + "=" + project}}});
  } catch (const docker::EngineError&) {
    // Another prune running at the same moment: the next build tidies up.
  }
}

// The image made without the builder (images/assemble.h) when the Dockerfile runs
// nothing and its base is here; nullopt to leave the build to the engine.
// BIODEV_BUILDER=engine always leaves it to the engine.
std::optional<std::string> try_assemble(docker::Client& client, const BuildContext& ctx, const profile::BuildSpec& spec,
                                        const std::string& tag, const std::map<std::string, std::string>& image_labels,
                                        const std::string& service, const std::string& dockerfile, progress::Reporter& rep) {
  if (const char* b = std::getenv("BIODEV_BUILDER"); b && std::string(b) == "engine") return std::nullopt;
  std::vector<Instruction> instructions = parse_dockerfile(ctx.dockerfile_text);
  if (!needs_builder(instructions).empty()) return std::nullopt;
  try {
    const std::map<std::string, std::string> args(spec.args.begin(), spec.args.end());
    std::string base = assembly_base(instructions, args);
    if (base.empty() || base == "scratch") return std::nullopt;
    auto info = client.inspect_image(base);
    if (!info) return std::nullopt;  // not here: the builder pulls it, or names it missing
    if (!info->onbuild.empty()) return std::nullopt;  // triggers only the builder runs
    Assembly a = plan_assembly(instructions, args, info->config);
    rep.event({service, "building", "assembling " + tag + " on " + base + " (no RUN: no builder needed)"});
    return assemble_image(client, ctx, a, info->id.empty() ? base : info->id, tag, image_labels, temp_root());
  } catch (const AssemblyError& e) {
    throw Error(ExitCode::kFailed, build_failure_at(service, dockerfile, instructions, e.line, e.what()));
  }
}

// The Dockerfile as it is built: cut at the build target, offline bases put in FROM.
void prepare_dockerfile(docker::Client& client, BuildContext& ctx, const profile::Service& s,
                        const ServiceBuildOptions& o, progress::Reporter& rep) {
  const profile::BuildSpec& spec = *s.build;
  if (!spec.target.empty()) {
    try {
      ctx.dockerfile_text = cut_to_target(ctx.dockerfile_text, spec.target);
    } catch (const std::invalid_argument& e) {
      throw Error(ExitCode::kUsage, spec.loc.to_string() + ": service " + s.name + ": build target " +
                                        spec.target + ": " + e.what());
    }
  }
  auto subs = offline_bases(client, ctx, o, s.name, rep);
  if (!subs.empty()) ctx.dockerfile_text = rewrite_from(ctx.dockerfile_text, subs);
}

docker::BuildOptions engine_build_options(const profile::BuildSpec& spec, const BuildContext& ctx,
                                          const std::map<std::string, std::string>& image_labels) {
  docker::BuildOptions bo;
  bo.labels = image_labels;
  for (const auto& [k, v] : spec.args) bo.build_args[k] = v;
  bo.dockerfile = ctx.dockerfile_name;
  bo.network_mode = spec.network;
  bo.extra_hosts = spec.extra_hosts;
  bo.shm_size = spec.shm_size;
  for (const auto& u : spec.ulimits) bo.ulimits.push_back({u.name, u.soft, u.hard});
  bo.no_cache = spec.no_cache;
  return bo;
}

// The engine's /build of the context; a failure names the service, the Dockerfile line
// of the step that failed, the engine's message and the step's last output.
std::string engine_build(docker::Client& client, const BuildContext& ctx, const profile::Service& s,
                         const std::string& image, const docker::BuildOptions& bo,
                         const std::string& dockerfile_name, const ServiceBuildOptions& o,
                         progress::Reporter& rep) {
  detail::TempPath tar = detail::make_temp_file(temp_root(), "biodev-build-", ".tar");
  write_context_tar(ctx, tar.path());
  StepLog log;
  auto sink = [&](const docker::BuildOutput& out) {
    if (o.cancel && o.cancel->load())
      throw Error(ExitCode::kFailed, "service " + s.name + ": build cancelled");
    for (const std::string& raw : split(out.stream, '\n')) {
      std::string line = trim(strip_terminal_codes(raw));
      if (line.empty()) continue;
      log.add(line);
      rep.event({s.name, "building", line.substr(0, 120), -1, log.step, log.steps});
    }
  };
  try {
    return client.build_image(tar.path(), image, sink, bo);
  } catch (const docker::EngineError& e) {
    if (e.kind() != docker::ErrorKind::kBuildFailed) throw;
    remove_leftover(client, log.last_image);
    std::string message = e.what();
    if (std::string prefix = "build " + image + ": "; message.starts_with(prefix))
      message.erase(0, prefix.size());
    std::string text = build_failure(s.name, dockerfile_name, parse_dockerfile(ctx.dockerfile_text), log.step, message);
    if (!log.lines.empty()) text += "; last output:";
    for (const auto& line : log.lines) text += "\n    " + line;
    throw Error(ExitCode::kFailed, text);
  }
}

}  // namespace

namespace {

// The id of the image under `tag` when it was built from this very context (its hash
// label), and no build is forced; "" otherwise.
std::string current_image(docker::Client& client, const std::string& tag, const profile::Service& s,
                          const std::string& hash, bool force) {
  if (force || s.pull_policy == "build") return {};
  auto info = client.inspect_image(tag);
  if (!info) return {};
  auto it = info->labels.find(kBuildHashLabel);
  return it != info->labels.end() && it->second == hash ? info->id : std::string();
}

}  // namespace

bool build_pending(docker::Client& client, const std::string& project, const profile::Service& s, bool force) {
  const profile::BuildSpec& spec = *s.build;
  return current_image(client, build_tag(project, s), s, build_hash(spec, read_context(spec)), force).empty();
}

ServiceBuildResult ensure_built(docker::Client& client, const std::string& project,
                                const profile::Service& s, const ServiceBuildOptions& o,
                                progress::Reporter& rep) {
  const profile::BuildSpec& spec = *s.build;
  ServiceBuildResult r;
  r.image = build_tag(project, s);
  BuildContext ctx = read_context(spec);
  std::string hash = build_hash(spec, ctx);
  if (r.image_id = current_image(client, r.image, s, hash, o.force); !r.image_id.empty()) return r;
  auto t0 = Clock::now();
  rep.event({s.name, "building", "image " + r.image});
  prepare_dockerfile(client, ctx, s, o, rep);
  std::map<std::string, std::string> image_labels = spec.labels;
  image_labels[kBuildHashLabel] = hash;
  image_labels[labels::kProject] = project;
  image_labels[labels::kService] = s.name;
  image_labels[kManagedLabel] = "true";
  std::string dockerfile_name = spec.dockerfile_inline.empty()
                                    ? spec.context + "/" + spec.dockerfile
                                    : "service " + s.name + " dockerfile_inline";
  std::string how;
  if (auto id =
          try_assemble(client, ctx, spec, r.image, image_labels, s.name, dockerfile_name, rep)) {
    r.image_id = *id;
    how = " (assembled: no RUN, no builder)";
  } else {
    r.image_id =
        engine_build(client, ctx, s, r.image, engine_build_options(spec, ctx, image_labels),
                     dockerfile_name, o, rep);
  }
  r.built = true;
  prune_leftovers(client, project);
  rep.event({s.name, "built", "image " + r.image + how,
             std::chrono::duration<double>(Clock::now() - t0).count()});
  return r;
}

}  // namespace biodev::images
