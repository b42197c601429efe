// `biodev watch [SVC...]`: restarts a service when files under its `watch:` paths
// change (inotify, recursive, debounced), for services without a reloader of their
// own. Source mounts already make edits visible in the container; this makes the
// process pick them up: in place, inside the running container, where biodev-init runs
// it (plan/in_place_restart.h), else by restarting the container. Runs until Ctrl-C.
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>

#include "cli/commands.h"
#include "cli/restart.h"
#include "plan/labels.h"
#include "plan/state.h"
#include "util/parallel.h"
#include "util/strings.h"

namespace biodev::cli {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kDebounce = std::chrono::milliseconds(100);  // an editor's save is one change

bool ignored(std::string_view name) {
  return name.empty() || name == "__pycache__" || name == ".git" || name == "node_modules" ||
         name.ends_with("~") || name.ends_with(".swp") || name.ends_with(".swx") || name.starts_with(".#") ||
         name == "4913";  // vim's write probe
}

class Watcher {
 public:
  Watcher() : fd_(inotify_init1(IN_CLOEXEC | IN_NONBLOCK)) {
    if (fd_ < 0) throw Error(ExitCode::kFailed, "inotify is not available");
  }
  ~Watcher() { close(fd_); }

  void add_tree(const fs::path& root, const std::string& service) {
    std::error_code ec;
    if (fs::is_directory(root, ec)) {
      add(root, service);
      for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_directory() && ignored(it->path().filename().string())) it.disable_recursion_pending();
        else if (it->is_directory()) add(it->path(), service);
      }
    } else {
      add(root.parent_path(), service);  // a single file: watch its folder
    }
  }

  // Services with a change, after draining pending events.
  std::set<std::string> read_events(int timeout_ms) {
    std::set<std::string> changed;
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return changed;
    alignas(inotify_event) char buf[16384];
    ssize_t n;
    while ((n = read(fd_, buf, sizeof buf)) > 0) {
      for (char* ptr = buf; ptr < buf + n;) {
        auto* ev = reinterpret_cast<inotify_event*>(ptr);
        ptr += sizeof(inotify_event) + ev->len;
        auto it = dirs_.find(ev->wd);
        if (it == dirs_.end()) continue;
        std::string name = ev->len ? ev->name : "";
        if (ignored(name)) continue;
        const auto [dir, services] = it->second;  // a copy: add_tree adds to dirs_, this entry too
        for (const auto& service : services) {
          if ((ev->mask & IN_ISDIR) && (ev->mask & (IN_CREATE | IN_MOVED_TO))) add_tree(dir / name, service);
          changed.insert(service);
        }
      }
    }
    return changed;
  }

 private:
  void add(const fs::path& dir, const std::string& service) {
    int wd = inotify_add_watch(fd_, dir.c_str(),
                               IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB | IN_MODIFY);
    if (wd < 0) return;
    // The kernel gives a folder one watch, whoever asks: services watching the same
    // folder share its events.
    auto& entry = dirs_[wd];
    entry.first = dir;
    entry.second.insert(service);
  }
  int fd_;
  std::map<int, std::pair<fs::path, std::set<std::string>>> dirs_;
};

// Restarts one changed service: its process in place where biodev-init runs it, else its
// container. Errors are reported, not thrown: watching goes on.
void restart_changed(Context& ctx, const profile::Profile& p, const plan::ObservedState& obs,
                     const std::string& service) {
  auto list = obs.for_service(service);
  if (list.empty()) {
    ctx.reporter().message(ui::Level::kWarn, service + " changed but is not running (run `biodev up`)");
    return;
  }
  const plan::ObservedContainer& c = *list.front();
  auto in_place = c.labels.find(labels::kInPlaceRestart);
  try {
    if (in_place != c.labels.end() && in_place->second == "true" && c.state == "running")
      restart_in_place_and_wait(ctx, p, c, 60);
    else
      restart_and_wait(ctx, p, c, 60);
  } catch (const Error& e) {
    ctx.reporter().message(ui::Level::kError, e.what());
  }
}

}  // namespace

Runner setup_watch(CLI::App& sub, Context& ctx) {
  auto services = std::make_shared<std::vector<std::string>>();
  sub.add_option("services", *services, "Services to watch (default: every service with watch: paths)");
  return [&ctx, services] {
    const profile::Profile& p = ctx.profile();
    Watcher watcher;
    std::vector<std::string> names;
    for (const auto& s : p.services) {
      bool chosen = services->empty() ? !s.watch.empty()
                                      : std::find(services->begin(), services->end(), s.name) != services->end();
      if (!chosen) continue;
      std::vector<std::string> paths = s.watch;
      if (paths.empty())  // no watch: paths: the service's source mounts
        for (const auto& m : s.mounts)
          if (m.type == profile::MountSpec::Type::kBind && !m.data) paths.push_back(m.source);
      if (paths.empty()) throw UsageError("service " + s.name + " has no watch: paths and no source mounts");
      for (const auto& path : paths) watcher.add_tree(path, s.name);
      names.push_back(s.name);
    }
    for (const auto& n : *services)
      if (!p.find(n)) {
        std::string hint = closest_match(n, p.service_names());
        throw UsageError("unknown service \"" + n + "\"" + (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)"));
      }
    if (names.empty()) throw UsageError("no service has watch: paths; name the services to watch");
    ctx.reporter().message(ui::Level::kInfo, "watching " + join(names, ", ") + " (Ctrl-C to stop)");
    std::map<std::string, Clock::time_point> pending;  // service -> its last event
    while (!Context::cancelled()) {
      // Wake when the oldest pending change is due, not at the next tick after it.
      auto wait = std::chrono::milliseconds(100);
      for (const auto& [service, at] : pending)
        wait = std::min(wait, std::max(std::chrono::milliseconds(0),
                                       std::chrono::duration_cast<std::chrono::milliseconds>(kDebounce - (Clock::now() - at))));
      for (const auto& s : watcher.read_events(static_cast<int>(wait.count()))) pending[s] = Clock::now();
      std::vector<std::string> due;
      for (auto it = pending.begin(); it != pending.end();) {
        if (Clock::now() - it->second < kDebounce) {
          ++it;
          continue;
        }
        due.push_back(it->first);
        it = pending.erase(it);
      }
      if (due.empty()) continue;
      // One look at the engine, then every changed service restarted at once.
      plan::ObservedState obs = plan::observe(ctx.client(), p.project);
      parallel_for(due.size(), [&](size_t i) { restart_changed(ctx, p, obs, due[i]); });
    }
    ctx.reporter().finish();
    return 0;
  };
}

}  // namespace biodev::cli
