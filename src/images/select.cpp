#include "images/select.h"

#include <sys/stat.h>

#include <cstdlib>
#include <mutex>
#include <thread>

#include "docker/errors.h"
#include "images/builder.h"
#include "images/recipe.h"
#include "images/service_build.h"
#include "plan/labels.h"
#include "profile/substitutes.h"
#include "util/error.h"
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
    if (auto info = client_.inspect_image(ref); info && current(ref, *info) && !(always_pull && !own))
      return info->id;
    std::string subject = "image " + ref;
    auto t0 = std::chrono::steady_clock::now();
    auto secs = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
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
      throw Error(ExitCode::kFailed, "image " + ref + " is not present and pulling is off (pull_policy: never)");
    docker::PullProgress pp;
    rep_.event({subject, "pulling"});
    client_.pull_image(ref, [&](const docker::json& ev) {
      pp.update(ev);
      rep_.event({subject, "pulling", pp.last_status(), -1, pp.current(), pp.total()});
    });
    rep_.event({subject, "pulled", "", secs()});
    auto info = client_.inspect_image(ref);
    if (!info) throw Error(ExitCode::kFailed, "image " + ref + " was pulled but the engine does not list it");
    return info->id;
  }

 private:
  docker::Client& client_;
  progress::Reporter& rep_;
  const std::atomic<bool>* cancel_;
};

bool present(docker::Client& client, const std::string& ref) { return client.inspect_image(ref).has_value(); }

std::string no_substitute_hint(const std::string& ref) {
  return "; biodev has no offline substitute for it: map it to an image you have, in the compose file "
         "(x-biodev: {substitutes: {\"" + ref + "\": \"local/image:tag\"}}) or in a YAML file named by "
         "BIODEV_SUBSTITUTES";
}

}  // namespace

std::map<std::string, plan::ImageChoice> ensure_images(docker::Client& client, const profile::Profile& profile,
                                                       const EnsureOptions& o, progress::Reporter& reporter) {
  std::map<std::string, plan::ImageChoice> out;
  std::mutex mu;
  std::string registry_error;  // set once a pull fails: later services go offline at once
  Obtainer obtainer(client, reporter, o.cancel);
  std::vector<std::thread> threads;
  std::vector<std::string> errors;
  bool unreachable = false;  // an engine that could not be reached: exit 3 for all
  bool usage = false;        // a profile problem found late (a build target): exit 2
  // Services sharing an image wait for one another instead of pulling it twice.
  std::map<std::string, std::shared_ptr<std::mutex>> per_image;
  auto image_lock = [&](const std::string& ref) {
    std::lock_guard l(mu);
    auto& m = per_image[ref];
    if (!m) m = std::make_shared<std::mutex>();
    return m;
  };

  for (const auto& s : profile.services) {
    if (!o.services.empty() && !o.services.count(s.name)) continue;
    threads.emplace_back([&, svc = &s] {
      try {
        if (svc->build) {
          ServiceBuildOptions bo;
          bo.force = o.force_build;
          bo.substitutes = o.substitutes;
          bo.cancel = o.cancel;
          auto lock = image_lock(build_tag(profile.project, *svc));
          std::unique_lock built(*lock);
          ServiceBuildResult r = ensure_built(client, profile.project, *svc, bo, reporter);
          built.unlock();
          std::lock_guard l(mu);
          out[svc->name] = {r.image, r.image_id, "build"};
          return;
        }
        const std::string& base = svc->image;
        std::string offline = svc->offline ? svc->offline->image : "";
        std::string variant = "upstream";
        if (!offline.empty()) {
          std::string existing;
          if (o.observed)
            for (const auto* c : o.observed->for_service(svc->name)) existing = c->variant;
          if (o.mode == Mode::kOffline) variant = "offline";
          else if (o.mode == Mode::kUpstream) variant = "upstream";
          else if (existing == "offline" || existing == "upstream") variant = existing;
          else if (present(client, base)) variant = "upstream";
          else if (present(client, offline)) variant = "offline";
          else {
            std::lock_guard l(mu);
            if (!registry_error.empty()) variant = "offline";
          }
        }
        std::string ref = variant == "offline" ? offline : base;
        std::string id;
        {
          auto lock = image_lock(ref);
          std::lock_guard l(*lock);
          try {
            id = obtainer.obtain(ref, svc->pull_policy != "never", svc->pull_policy == "always");
          } catch (const docker::EngineError& e) {
            if (e.kind() != docker::ErrorKind::kPullFailed || offline.empty() || o.mode != Mode::kAuto) {
              if (e.kind() == docker::ErrorKind::kPullFailed)
                throw Error(ExitCode::kFailed, "service " + svc->name + ": image " + ref +
                                                   " could not be pulled (" + e.what() + ")" +
                                                   (!offline.empty() ? "; run `biodev images build` and `biodev up --offline`"
                                                    : profile.format == "compose" ? no_substitute_hint(ref)
                                                                                  : "; the profile names no offline: variant"));
              throw;
            }
            {
              std::lock_guard l(mu);
              registry_error = e.what();
            }
            reporter.event({"image " + ref, "unavailable", "no registry answered; using " + offline});
            variant = "offline";
            ref = offline;
          }
        }
        if (id.empty()) {
          auto lock = image_lock(ref);
          std::lock_guard l(*lock);
          id = obtainer.obtain(ref, false);
        }
        if (variant == "offline" && svc->offline && !svc->offline->substitute_for.empty())
          reporter.message(progress::Level::kInfo, svc->name + ": " + profile::substitution_text(*svc->offline));
        std::lock_guard l(mu);
        out[svc->name] = {ref, id, variant};
      } catch (const Error& e) {
        std::lock_guard l(mu);
        errors.push_back(e.what());
        unreachable |= e.code() == ExitCode::kUnreachable;
        usage |= e.code() == ExitCode::kUsage;
      } catch (const std::exception& e) {
        std::lock_guard l(mu);
        errors.push_back(e.what());
      }
    });
  }
  for (auto& t : threads) t.join();
  if (!errors.empty()) {
    throw Error(unreachable ? ExitCode::kUnreachable : usage ? ExitCode::kUsage : ExitCode::kFailed,
                join(errors, "\n"));
  }
  return out;
}

}  // namespace biodev::images
