#include "images/select.h"

#include <sys/stat.h>

#include <cstdlib>
#include <mutex>

#include "docker/errors.h"
#include "images/builder.h"
#include "images/recipe.h"
#include "images/service_build.h"
#include "plan/labels.h"
#include "profile/substitutes.h"
#include "util/error.h"
#include "util/parallel.h"
#include "util/strings.h"

namespace biodev::images {

Mode mode_from(bool offline_flag) {
  if (offline_flag) return Mode::kOffline;
  const char* env = std::getenv("BIODEV_IMAGES");
  std::string v = env ? env : "";
  if (v == "offline") return Mode::kOffline;
  if (v == "upstream") return Mode::kUpstream;
  if (v.empty() || v == "auto") return Mode::kAuto;
  throw UsageError("BIODEV_IMAGES must be auto, upstream or offline, not \"" + v + "\"");
}

namespace {

bool is_runtime(const std::string& ref) { return ref.starts_with("biodev/runtime:"); }

// True when the runtime image is older than the binary that would package itself:
// checked by timestamps so a warm `up` does not hash a large binary every time.
bool runtime_stale(const docker::ImageInfo& info) {
  struct stat st {};
  if (stat("/proc/self/exe", &st) != 0) return false;
  // "2026-11-25T15:01:02.123456789Z": compare as text against the binary's mtime.
  const std::string& created = info.created;
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", std::gmtime(&st.st_mtime));
  return created.substr(0, 19) < std::string(buf);
}

// A present image is current unless biodev builds it and its recipe has moved on.
bool current(const std::string& ref, const docker::ImageInfo& info) {
  if (is_runtime(ref)) return !runtime_stale(info);
  if (auto recipe = recipe_for_image(ref)) {
    auto it = info.labels.find(kRecipeLabel);
    return it != info.labels.end() && it->second == recipe->hash;
  }
  return true;
}

class Obtainer {
 public:
  Obtainer(docker::Client& c, progress::Reporter& r, const std::atomic<bool>* cancel)
      : client_(c), rep_(r), cancel_(cancel) {}

  // The image id of `ref`, building or pulling it when missing or stale. Throws.
  std::string obtain(const std::string& ref, bool allow_pull, bool always_pull = false) {
    bool own = is_runtime(ref) || recipe_for_image(ref);
    if (auto info = client_.inspect_image(ref);
        info && current(ref, *info) && !(always_pull && !own))
      return info->id;
    std::string subject = "image " + ref;
    auto t0 = std::chrono::steady_clock::now();
    auto secs = [&] {
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    };
    BuildOptions bo;
    bo.cancel = cancel_;
    auto progress = [&](std::string_view phase, std::string_view line) {
      rep_.event({subject, "building", std::string(phase) + ": " + trim(line).substr(0, 100), -1});
    };
    if (is_runtime(ref)) {
      rep_.event({subject, "building", "from this biodev binary"});
      BuildResult r = build_runtime_image(client_, bo, progress);
      rep_.event({subject, "built", "", secs()});
      return r.image_id;
    }
    if (auto recipe = recipe_for_image(ref)) {
      rep_.event({subject, "building", "Debian packages: " + join(recipe->packages, " ")});
      BuildResult r = build_offline_image(client_, *recipe, bo, progress);
      rep_.event({subject, "built", r.cached ? "cached" : "", secs()});
      return r.image_id;
    }
    if (!allow_pull)
      throw Error(ExitCode::kFailed,
                  "image " + ref + " is not present and pulling is off (pull_policy: never)");
    docker::PullProgress pp;
    rep_.event({subject, "pulling"});
    client_.pull_image(ref, [&](const docker::json& ev) {
      pp.update(ev);
      rep_.event({subject, "pulling", pp.last_status(), -1, pp.current(), pp.total()});
    });
    rep_.event({subject, "pulled", "", secs()});
    auto info = client_.inspect_image(ref);
    if (!info)
      throw Error(ExitCode::kFailed,
                  "image " + ref + " was pulled but the engine does not list it");
    return info->id;
  }

 private:
  docker::Client& client_;
  progress::Reporter& rep_;
  const std::atomic<bool>* cancel_;
};

bool present(docker::Client& client, const std::string& ref) {
  return client.inspect_image(ref).has_value();
}

std::string no_substitute_hint(const std::string& ref) {
  return "; biodev has no offline substitute for it: map it to an image you have, in the compose "
         "file "
         "(x-biodev: {substitutes: {\"" +
         ref +
         "\": \"local/image:tag\"}}) or in a YAML file named by "
         "BIODEV_SUBSTITUTES";
}

// ensure_images' state: the choices so far, the errors, and what the services share.
class Chooser {
 public:
  Chooser(docker::Client& client, const profile::Profile& profile, const EnsureOptions& o,
          progress::Reporter& reporter)
      : client_(client),
        profile_(profile),
        o_(o),
        rep_(reporter),
        obtainer_(client, reporter, o.cancel) {}

  // The service's image, recorded; an error is recorded instead of thrown.
  void choose(const profile::Service& svc) {
    try {
      auto done = o_.built.find(svc.name);
      plan::ImageChoice c = done != o_.built.end() ? done->second : svc.build ? built(svc) : obtained(svc);
      std::lock_guard l(mu_);
      out_[svc.name] = c;
    } catch (const Error& e) {
      std::lock_guard l(mu_);
      errors_.push_back(e.what());
      unreachable_ |= e.code() == ExitCode::kUnreachable;
      usage_ |= e.code() == ExitCode::kUsage;
    } catch (const std::exception& e) {
      std::lock_guard l(mu_);
      errors_.push_back(e.what());
    }
  }

  // Every choice, or one error for all: exit 3 when the engine could not be reached,
  // 2 for a profile problem found late (a build target), else 1.
  std::map<std::string, plan::ImageChoice> result() {
    if (!errors_.empty())
      throw Error(unreachable_ ? ExitCode::kUnreachable
                  : usage_     ? ExitCode::kUsage
                               : ExitCode::kFailed,
                  join(errors_, "\n"));
    return std::move(out_);
  }

 private:
  // Services sharing an image wait for one another instead of pulling it twice.
  std::shared_ptr<std::mutex> image_lock(const std::string& ref) {
    std::lock_guard l(mu_);
    auto& m = per_image_[ref];
    if (!m) m = std::make_shared<std::mutex>();
    return m;
  }

  plan::ImageChoice built(const profile::Service& svc) {
    ServiceBuildOptions bo;
    bo.force = o_.force_build;
    bo.substitutes = o_.substitutes;
    bo.cancel = o_.cancel;
    auto lock = image_lock(build_tag(profile_.project, svc));
    std::lock_guard built(*lock);
    ServiceBuildResult r = ensure_built(client_, profile_.project, svc, bo, rep_);
    return {r.image, r.image_id, "build"};
  }

  // upstream or offline: what the mode says, else what runs now, else what is present,
  // else offline once a pull has failed (no registry), else upstream.
  std::string variant_for(const profile::Service& svc) {
    if (!svc.offline || svc.offline->image.empty()) return "upstream";
    if (o_.mode == Mode::kOffline) return "offline";
    if (o_.mode == Mode::kUpstream) return "upstream";
    std::string existing;
    if (o_.observed)
      for (const auto* c : o_.observed->for_service(svc.name)) existing = c->variant;
    if (existing == "offline" || existing == "upstream") return existing;
    if (present(client_, svc.image)) return "upstream";
    if (present(client_, svc.offline->image)) return "offline";
    std::lock_guard l(mu_);
    return registry_error_.empty() ? "upstream" : "offline";
  }

  plan::ImageChoice obtained(const profile::Service& svc) {
    std::string offline = svc.offline ? svc.offline->image : "";
    std::string variant = variant_for(svc);
    std::string ref = variant == "offline" ? offline : svc.image;
    std::string id;
    {
      auto lock = image_lock(ref);
      std::lock_guard l(*lock);
      try {
        id = obtainer_.obtain(ref, svc.pull_policy != "never", svc.pull_policy == "always");
      } catch (const docker::EngineError& e) {
        if (e.kind() != docker::ErrorKind::kPullFailed || offline.empty() || o_.mode != Mode::kAuto)
          rethrow_pull_error(svc, ref, e);
        {
          std::lock_guard g(mu_);
          registry_error_ = e.what();
        }
        rep_.event({"image " + ref, "unavailable", "no registry answered; using " + offline});
        variant = "offline";
        ref = offline;
      }
    }
    if (id.empty()) {
      auto lock = image_lock(ref);
      std::lock_guard l(*lock);
      id = obtainer_.obtain(ref, false);
    }
    if (variant == "offline" && svc.offline && !svc.offline->substitute_for.empty())
      rep_.message(progress::Level::kInfo,
                   svc.name + ": " + profile::substitution_text(*svc.offline));
    return {ref, id, variant};
  }

  // A failed pull names the service and what to do; other engine errors go as they are.
  [[noreturn]] void rethrow_pull_error(const profile::Service& svc, const std::string& ref,
                                       const docker::EngineError& e) const {
    if (e.kind() != docker::ErrorKind::kPullFailed) throw e;
    bool offline = svc.offline && !svc.offline->image.empty();
    throw Error(ExitCode::kFailed,
                "service " + svc.name + ": image " + ref + " could not be pulled (" + e.what() +
                    ")" +
                    (offline ? "; run `biodev images build` and `biodev up --offline`"
                     : profile_.format == "compose" ? no_substitute_hint(ref)
                                                    : "; the profile names no offline: variant"));
  }

  docker::Client& client_;
  const profile::Profile& profile_;
  const EnsureOptions& o_;
  progress::Reporter& rep_;
  Obtainer obtainer_;
  std::mutex mu_;
  std::string registry_error_;  // set once a pull fails: later services go offline at once
  std::map<std::string, std::shared_ptr<std::mutex>> per_image_;
  std::map<std::string, plan::ImageChoice> out_;
  std::vector<std::string> errors_;
  bool unreachable_ = false;
  bool usage_ = false;
};

}  // namespace

std::map<std::string, plan::ImageChoice> ensure_images(docker::Client& client,
                                                       const profile::Profile& profile,
                                                       const EnsureOptions& o,
                                                       progress::Reporter& reporter) {
  std::vector<const profile::Service*> wanted;
  for (const auto& s : profile.services)
    if (o.services.empty() || o.services.count(s.name)) wanted.push_back(&s);
  Chooser chooser(client, profile, o, reporter);
  parallel_for(wanted.size(), [&](size_t i) { chooser.choose(*wanted[i]); });
  return chooser.result();
}

std::set<std::string> builds_pending(docker::Client& client, const profile::Profile& profile,
                                     const EnsureOptions& o) {
  std::vector<const profile::Service*> builds;
  for (const auto& s : profile.services)
    if (s.build && !o.built.count(s.name) && (o.services.empty() || o.services.count(s.name)))
      builds.push_back(&s);
  std::vector<char> pending(builds.size(), 0);
  parallel_for(builds.size(), [&](size_t i) {
    pending[i] = build_pending(client, profile.project, *builds[i], o.force_build);
  });
  std::set<std::string> out;
  for (size_t i = 0; i < builds.size(); ++i)
    if (pending[i]) out.insert(builds[i]->name);
  return out;
}

}  // namespace biodev::images
