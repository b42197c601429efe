#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "cli/down.h"
#include "cli/lock.h"
#include "docker/disconnects.h"
#include "plan/apply.h"
#include "plan/executor.h"
#include "plan/file_grants.h"
#include "plan/reconcile.h"
#include "profile/errors.h"

namespace biodev::cli {
namespace {

// `.data/` folders the profile binds, which `down -v` deletes.
std::vector<std::string> data_dirs(Context& ctx) {
  std::vector<std::string> out;
  try {
    for (const auto& s : ctx.profile().services) {
      auto add = [&](const profile::Service& svc) {
        for (const auto& m : svc.mounts)
          if (m.data && std::find(out.begin(), out.end(), m.source) == out.end()) out.push_back(m.source);
      };
      add(s);
      if (s.offline) add(*s.offline);
    }
  } catch (const profile::ProfileError&) {
    ctx.reporter().message(ui::Level::kWarn, "the profile does not load: .data/ folders are kept");
  }
  return out;
}

bool confirm(const std::string& question) {
  std::cerr << question << " [y/N] " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes";
}

}  // namespace

DownResult take_down(Context& ctx, const plan::ObservedState& obs, const plan::DownOptions& o) {
  plan::Plan plan = plan::reconcile_down(obs, o);
  if (ctx.options.verbose) ctx.reporter().message(ui::Level::kInfo, "plan:\n" + plan.to_string());
  plan::ApplyContext ac;
  ac.client = &ctx.client();
  ac.observed = &obs;
  ac.reporter = &ctx.reporter();
  plan::EngineOps ops(ac);
  plan::Executor ex(plan, [&](const plan::Op& op) { ops.run(op); }, {});
  DownResult r;
  r.ok = ex.run();
  ctx.reporter().finish();
  // The copies of secrets and configs the containers had mounted.
  std::error_code ec;
  if (r.ok) std::filesystem::remove_all(plan::grants_dir(ctx.project()), ec);
  for (const auto& f : ex.failures()) {
    r.errors.push_back(f.op->subject + ": " + f.message);
    ctx.reporter().message(ui::Level::kError, r.errors.back());
  }
  return r;
}

Runner setup_down(CLI::App& sub, Context& ctx) {
  struct Args {
    bool volumes = false, yes = false;
  };
  auto a = std::make_shared<Args>();
  sub.add_flag("-v,--volumes", a->volumes, "Also delete volumes (named and anonymous) and .data/ folders (asks first on a terminal)");
  sub.add_flag("-y,--yes", a->yes, "Do not ask before deleting data");
  return [&ctx, a] {
    auto t0 = std::chrono::steady_clock::now();
    std::string project = ctx.project();
    docker::Client& client = ctx.client();
    ProjectLock lock(project, "down", ctx.reporter());
    plan::ObservedState obs = plan::observe(client, project);
    plan::DownOptions o{a->volumes, a->volumes ? data_dirs(ctx) : std::vector<std::string>{}};
    if (a->volumes && !a->yes && isatty(STDIN_FILENO) && isatty(STDERR_FILENO) &&
        (!obs.volumes.empty() || !o.data_dirs.empty())) {
      std::string what;
      for (const auto& v : obs.volumes) what += "\n  volume " + v;
      for (const auto& d : o.data_dirs) what += "\n  folder " + d;
      if (!confirm("This deletes the data of project " + project + ":" + what + "\nContinue?")) {
        std::cerr << "nothing deleted\n";
        return 1;
      }
    }
    // What there is to remove, counted before it goes (a killed up can leave a second
    // network of the same name; a stack already down can still have its data).
    size_t networks = obs.networks.size() + obs.duplicate_networks.size();
    size_t volumes = a->volumes ? obs.volumes.size() : 0;
    size_t folders = 0;
    for (const auto& d : o.data_dirs) folders += std::filesystem::exists(d) ? 1 : 0;
    const long long disconnects = docker::engine_disconnects();
    DownResult dr = take_down(ctx, obs, o);
    bool ok = dr.ok;
    bool engine_went = !ok && docker::engine_went_away(client, disconnects, dr.errors);
    if (engine_went)
      ctx.reporter().message(ui::Level::kError,
                             docker::engine_went_away_message("down", "run `biodev down` again once it answers"));
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (ctx.options.json) {
      std::cout << nlohmann::json{{"type", "result"},
                                  {"command", "down"},
                                  {"project", project},
                                  {"ok", ok},
                                  {"containers_removed", obs.containers.size()},
                                  {"networks_removed", networks},
                                  {"volumes_removed", volumes},
                                  {"data_dirs_removed", folders},
                                  {"seconds", secs}}
                       .dump()
                << "\n";
    } else if (obs.containers.empty() && networks == 0 && volumes == 0 && folders == 0) {
      std::cerr << "project " << project << ": nothing to remove\n";
    } else {
      std::cerr << "project " << project << ": removed " << obs.containers.size() << " containers, "
                << networks << " networks";
      if (a->volumes)
        std::cerr << ", " << volumes << " volumes and " << folders << " data folders";
      else
        std::cerr << " (data kept)";
      std::cerr << " in " << std::fixed << std::setprecision(2) << secs << "s\n";
    }
    return ok ? 0 : engine_went ? static_cast<int>(ExitCode::kUnreachable) : 1;
  };
}

}  // namespace biodev::cli
