#include "cli/context.h"

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <unistd.h>

#include "docker/engine_config.h"
#include "profile/compose_loader.h"
#include "profile/errors.h"
#include "profile/loader.h"
#include "util/paths.h"
#include "util/redact.h"
#include "util/strings.h"

namespace biodev::cli {

namespace {

std::vector<std::string> split_list(const std::string& s, char sep) {
  std::vector<std::string> out;
  for (auto& part : split(s, sep))
    if (!trim(part).empty()) out.push_back(trim(part));
  return out;
}

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

}  // namespace

std::string Context::lookup_dir() const {
  if (options.project_directory.empty()) return std::filesystem::current_path().string();
  std::error_code ec;
  std::filesystem::path dir = std::filesystem::absolute(options.project_directory, ec);
  if (ec || !std::filesystem::is_directory(dir, ec))
    throw UsageError("--project-directory " + options.project_directory + ": no such folder");
  return normal_path(dir).string();  // "." and "dir/" name the folder itself
}

std::vector<std::string> Context::compose_files() {
  std::vector<std::string> refs = options.files;
  if (refs.empty() && !options.profile.empty()) refs = {options.profile};
  if (refs.empty()) {
    // compose's own order: COMPOSE_FILE, then the lookup in this folder and its parents.
    std::string env = env_or_empty("COMPOSE_FILE");
    std::string sep = env_or_empty("COMPOSE_PATH_SEPARATOR");
    if (!env.empty()) return split_list(env, sep.empty() ? ':' : sep[0]);
    return profile::find_compose_files(lookup_dir());
  }
  size_t compose = 0;
  for (const auto& r : refs) compose += profile::is_compose_file(r) ? 1 : 0;
  if (compose == refs.size()) return refs;
  if (compose > 0)
    throw UsageError("-f mixes compose files and biodev profiles; give compose files only, or one profile "
                     "(a profile layers others with extends:)");
  if (refs.size() > 1)
    throw UsageError("-f was given " + std::to_string(refs.size()) + " times, but " + refs[1] +
                     " is a biodev profile, not a compose file; a profile layers others with extends:");
  return {};
}

const profile::Profile& Context::profile() {
  std::call_once(profile_once_, [this] {
    std::vector<std::string> compose = compose_files();
    if (!compose.empty()) {
      profile::ComposeOptions o;
      o.files = compose;
      o.project = options.project;
      if (!options.project_directory.empty()) o.project_dir = lookup_dir();
      o.env_files = options.env_files;
      o.active_profiles = options.compose_profiles;
      if (o.active_profiles.empty()) o.active_profiles = split_list(env_or_empty("COMPOSE_PROFILES"), ',');
      profile_ = profile::load_compose(o);
    } else {
      profile::LoadOptions o;
      o.profile = options.profile.empty() ? "default" : options.profile;
      o.project = options.project;
      if (!options.project_directory.empty()) o.project_dir = lookup_dir();
      o.env_files = options.env_files;
      profile_ = profile::load_profile(o);
    }
    global_redactor() = Redactor(profile_->secrets);
    for (const auto& w : profile_->warnings) reporter().message(ui::Level::kWarn, w);
  });
  return *profile_;
}

std::string Context::project() {
  if (!options.project.empty()) {
    if (!profile::is_valid_project_name(options.project))
      throw UsageError("invalid project name \"" + options.project +
                       "\": use lowercase letters, digits, _ and -");
    // Still load the profile when it loads: its secrets must be redacted from what the
    // command prints (logs, errors) even though the name came from -p.
    try {
      profile();
    } catch (const profile::ProfileError&) {
    }
    return options.project;
  }
  try {
    return profile().project;
  } catch (const profile::ProfileError& e) {
    if (const char* env = std::getenv("BIODEV_PROJECT"); env && *env) return env;
    std::string name;
    std::vector<std::string> compose;
    try {
      compose = compose_files();
    } catch (const UsageError&) {
    }
    if (!compose.empty()) {
      name = env_or_empty("COMPOSE_PROJECT_NAME");
      if (name.empty())
        name = profile::compose_project_name(
            options.project_directory.empty()
                ? std::filesystem::absolute(compose.front()).parent_path().filename().string()
                : std::filesystem::path(lookup_dir()).filename().string());
    }
    if (name.empty())
      name = profile::sanitize_project_name(std::filesystem::path(lookup_dir()).filename().string());
    reporter().message(ui::Level::kWarn, std::string("the profile does not load, so the project name comes "
                                                     "from the folder (") + name + "):\n" + e.what());
    return name;
  }
}

docker::Client& Context::client() {
  // A failed negotiation throws out of call_once, which leaves it to be tried again.
  std::call_once(client_once_, [this] {
    auto c = std::make_unique<docker::Client>(docker::make_socket_transport(endpoint()));
    c->set_reach_host(docker::reach_host(endpoint()));
    c->negotiate();
    client_ = std::move(c);
  });
  return *client_;
}

const docker::Endpoint& Context::endpoint() {
  std::call_once(endpoint_once_, [this] { endpoint_ = docker::resolve_endpoint(options.context); });
  return *endpoint_;
}

const ui::ReporterOptions& Context::reporter_options() {
  std::call_once(reporter_options_once_, [this] {
    reporter_options_ = ui::detect_reporter_options(options.json, options.no_color, options.verbose);
  });
  return *reporter_options_;
}

ui::Reporter& Context::reporter() {
  std::call_once(reporter_once_, [this] { reporter_ = ui::make_reporter(reporter_options()); });
  return *reporter_;
}

std::atomic<bool>& Context::cancelled() {
  static std::atomic<bool> flag{false};
  return flag;
}

namespace {
std::atomic<int> g_first_signal{0};

extern "C" void on_signal(int sig) {
  int none = 0;
  g_first_signal.compare_exchange_strong(none, sig);
  // A second Ctrl-C means "now": leave without cleaning up.
  if (Context::cancelled().exchange(true)) _exit(128 + sig);
}
}  // namespace

int Context::interrupted_exit_code() {
  int sig = g_first_signal.load();
  return 128 + (sig ? sig : SIGINT);
}

void Context::install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  // Closing the terminal is the usual way an `up` dies: stop as Ctrl-C does, so what
  // was sent to the engine is seen through instead of left half done.
  sigaction(SIGHUP, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

}  // namespace biodev::cli
