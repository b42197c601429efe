// `biodev run [--keep] -- CMD...`: the stack as a test fixture. An ephemeral project
// (unique name unless -p), the folder's compose file or else the ci profile (engine-chosen
// ports), readiness, CMD run with
// the `biodev env` variables, CMD's exit code returned, and everything torn down: on
// success, on failure, on Ctrl-C/SIGTERM, and (through the reaper) on kill -9.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include <filesystem>
#include <iostream>
#include <random>
#include <thread>

#include "cli/commands.h"
#include "cli/down.h"
#include "cli/reaper_client.h"
#include "cli/up.h"
#include "docker/disconnects.h"
#include "docker/errors.h"
#include "plan/exports.h"
#include "images/service_build.h"
#include "profile/loader.h"
#include "util/strings.h"

namespace biodev::cli {
namespace {

std::string unique_project() {
  std::random_device rd;
  std::string suffix;
  static const char* digits = "0123456789abcdef";
  for (int i = 0; i < 6; ++i) suffix += digits[rd() % 16];
  std::string base = profile::sanitize_project_name(std::filesystem::current_path().filename().string());
  return base.substr(0, 40) + "-run-" + suffix;
}

// Runs CMD with `env` added, stdio inherited. Returns its exit code (128+signal when
// killed). SIGINT/SIGTERM to biodev are passed on; CMD gets 10 s to finish after them.
int run_child(const std::vector<std::string>& cmd, const std::vector<std::pair<std::string, std::string>>& env) {
  pid_t pid = fork();
  if (pid < 0) throw Error(ExitCode::kFailed, "fork failed");
  if (pid == 0) {
    // If biodev dies (even kill -9), the command must not outlive the stack it tests.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv;
    for (const auto& a : cmd) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    std::fprintf(stderr, "biodev run: cannot run %s: %s\n", argv[0], std::strerror(errno));
    _exit(127);
  }
  int status = 0;
  bool forwarded = false;
  auto forwarded_at = std::chrono::steady_clock::now();
  while (true) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (Context::cancelled() && !forwarded) {
      kill(pid, SIGTERM);
      forwarded = true;
      forwarded_at = std::chrono::steady_clock::now();
    }
    if (forwarded && std::chrono::steady_clock::now() - forwarded_at > std::chrono::seconds(10)) kill(pid, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

// The teardown of a run, retried for up to 30 s while the engine does not answer: an
// engine restart also ends the reaper, so nothing else would remove the stack.
DownResult take_down_when_engine_answers(Context& ctx, const std::string& project) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (true) {
    try {
      long long disconnects = docker::engine_disconnects();
      plan::ObservedState obs = plan::observe(ctx.client(), project);
      DownResult d = take_down(ctx, obs, plan::DownOptions{true, {}});
      if (d.ok || docker::engine_disconnects() == disconnects || std::chrono::steady_clock::now() > deadline)
        return d;
    } catch (const docker::EngineError& e) {
      if (e.kind() != docker::ErrorKind::kUnreachable || std::chrono::steady_clock::now() > deadline) throw;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

// Images built for this run's project alone (tagged "<project>-<service>", no `image:`
// of the user's): a unique project per run would otherwise leave one tag per run.
void remove_run_images(Context& ctx, const profile::Profile& p) {
  for (const auto& s : p.services) {
    if (!s.build || !s.image.empty()) continue;
    try {
      ctx.client().remove_image(images::build_tag(p.project, s));
    } catch (const std::exception&) {
      // Best effort: an image left behind costs only disk.
    }
  }
}

// A run must not share a data folder with the developer's own stack.
void require_no_data_mounts(const profile::Profile& p) {
  for (const auto& s : p.services)
    for (const auto& m : s.mounts)
      if (m.data)
        throw UsageError(m.loc.to_string() + ": profile " + p.name + " keeps data in " + m.source +
                         ", which a run would share with your own stack; use a profile with tmpfs "
                         "data (the built-in ci profile) for `biodev run`");
}

struct RunArgs {
  std::vector<std::string> command;
  bool keep = false, no_seed = false, offline = false, no_shared_sandbox = false;
  int timeout = 300;
};

// Brings the stack up and runs the command in it; the command's exit code, or up's.
int up_and_run(Context& ctx, const RunArgs& a, const profile::Profile& p) {
  UpRequest req;
  req.timeout_s = a.timeout;
  req.seed = !a.no_seed;
  req.image_mode = images::mode_from(a.offline);
  req.shared_sandbox = !a.no_shared_sandbox;
  configure_up_request(ctx, req);
  UpResult up = bring_up(ctx, req);
  if (!up.ok) {
    print_up_result(ctx, up);
    return up_exit_code(up);
  }
  plan::ObservedState obs = plan::observe(ctx.client(), p.project);
  auto env = plan::resolve_exports(p, plan::published_ports(obs), plan::running_variants(obs));
  env.emplace_back("BIODEV_PROJECT", p.project);
  ctx.reporter().message(ui::Level::kInfo,
                         "project " + p.project + " ready in " +
                             format_duration_us(static_cast<long long>(up.seconds * 1e6)) +
                             "; running: " + join(a.command, " "));
  return run_child(a.command, env);
}

// Tears the run's stack down (or keeps it, with --keep); the run's exit code.
int finish_run(Context& ctx, const RunArgs& a, const profile::Profile& p, ReaperGuard& reaper,
               int code) {
  if (a.keep) {
    reaper.keep();
    std::cerr << "kept project " << p.project << "; remove it with: biodev -p " << p.project
              << " down -v\n";
    return code;
  }
  DownResult d = take_down_when_engine_answers(ctx, p.project);
  // Down: the reaper goes too, before run returns. Not down: it reaps what is left.
  if (d.ok) {
    remove_run_images(ctx, p);
    reaper.dismiss();
  } else {
    reaper.release();
  }
  return !d.ok && code == 0 ? 1 : code;
}

}  // namespace

Runner setup_run(CLI::App& sub, Context& ctx) {
  auto a = std::make_shared<RunArgs>();
  sub.add_option("command", a->command, "The command to run (after --)")->required();
  sub.add_flag("--keep", a->keep, "Leave the stack running afterwards (prints how to remove it)");
  sub.add_option("--timeout", a->timeout, "Seconds to wait for readiness")->default_val(300);
  sub.add_flag("--no-seed", a->no_seed, "Skip seeding");
  sub.add_flag("--offline", a->offline, "Use the offline images");
  sub.add_flag("--no-shared-sandbox", a->no_shared_sandbox,
               "Give every service a network sandbox of its own, as `up` does; by default a run groups "
               "services into shared network sandboxes (docs/sandboxes.md), which starts faster");
  return [&ctx, a]() -> int {
    // The folder's compose file when it has one, as `up` takes it; else the built-in ci
    // profile (tmpfs data, engine-picked ports), not the default one.
    if (ctx.options.profile.empty() && ctx.compose_files().empty()) ctx.options.profile = "ci";
    if (ctx.options.project.empty()) ctx.options.project = unique_project();
    const profile::Profile& p = ctx.profile();
    require_no_data_mounts(p);
    ReaperGuard reaper(ctx, p.project);
    int code = finish_run(ctx, *a, p, reaper, up_and_run(ctx, *a, p));
    if (ctx.options.json)
      std::cout << nlohmann::json{{"type", "result"},
                                  {"command", "run"},
                                  {"project", p.project},
                                  {"exit_code", code},
                                  {"kept", a->keep}}
                       .dump()
                << std::endl;
    return code;
  };
}

}  // namespace biodev::cli
