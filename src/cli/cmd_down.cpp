#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "cli/down.h"
#include "docker/disconnects.h"
#include "plan/apply.h"
#include "plan/executor.h"
#include "plan/file_grants.h"
#include "plan/project_lock.h"
#include "plan/reconcile.h"
#include "profile/errors.h"
#include "snapshot/snapshot.h"

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
    // Snapshots go with the data they were taken of (their databases are in it).
    std::string snapshots = snapshot::snapshots_dir(ctx.profile().project_dir);
    if (std::filesystem::exists(snapshots)) out.push_back(snapshots);
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
  r.networks_kept = ops.networks_kept();
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

namespace {

// On a terminal, `down -v` lists the data it would delete and asks first.
bool confirm_data_removal(const std::string& project, const plan::ObservedState& obs,
                          const plan::DownOptions& o) {
  if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO) ||
      (obs.volumes.empty() && o.data_dirs.empty()))
    return true;
  std::string what;
  for (const auto& v : obs.volumes) what += "\n  volume " + v;
  for (const auto& d : o.data_dirs) what += "\n  folder " + d;
  return confirm("This deletes the data of project " + project + ":" + what + "\nContinue?");
}

// What there is to remove, counted before it goes (a killed up can leave a second
// network of the same name; a stack already down can still have its data).
struct DownCounts {
  size_t containers = 0, networks = 0, volumes = 0, folders = 0;
  bool nothing() const { return containers == 0 && networks == 0 && volumes == 0 && folders == 0; }
};

DownCounts count_removals(const plan::ObservedState& obs, const plan::DownOptions& o) {
  DownCounts n;
  n.containers = obs.containers.size();
  n.networks = obs.networks.size() + obs.duplicate_networks.size();
  n.volumes = o.remove_volumes ? obs.volumes.size() : 0;
  for (const auto& d : o.data_dirs) n.folders += std::filesystem::exists(d) ? 1 : 0;
  return n;
}

void print_down(const Context& ctx, const std::string& project, bool ok, DownCounts n,
                const std::vector<std::string>& kept, bool volumes, double secs) {
  n.networks -= std::min(n.networks, kept.size());
  if (ctx.options.json) {
    std::cout << nlohmann::json{{"type", "result"},
                                {"command", "down"},
                                {"project", project},
                                {"ok", ok},
                                {"containers_removed", n.containers},
                                {"networks_removed", n.networks},
                                {"networks_kept", kept},
                                {"volumes_removed", n.volumes},
                                {"data_dirs_removed", n.folders},
                                {"seconds", secs}}
                     .dump()
              << "\n";
    return;
  }
  if (n.nothing() && kept.empty()) {
    std::cerr << "project " << project << ": nothing to remove\n";
    return;
  }
  std::cerr << "project " << project << ": removed " << n.containers << " containers, "
            << n.networks << " networks";
  if (!kept.empty()) std::cerr << " (and " << kept.size() << " kept by the engine)";
  if (volumes)
    std::cerr << ", " << n.volumes << " volumes and " << n.folders << " data folders";
  else
    std::cerr << " (data kept)";
  std::cerr << " in " << std::fixed << std::setprecision(2) << secs << "s\n";
}

}  // namespace

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
    plan::ProjectLock lock(project, "down", ctx.reporter(), &Context::cancelled());
    plan::ObservedState obs = plan::observe(client, project);
    plan::DownOptions o{a->volumes, a->volumes ? data_dirs(ctx) : std::vector<std::string>{}};
    if (a->volumes && !a->yes && !confirm_data_removal(project, obs, o)) {
      std::cerr << "nothing deleted\n";
      return 1;
    }
    DownCounts counts = count_removals(obs, o);
    const long long disconnects = docker::engine_disconnects();
    DownResult dr = take_down(ctx, obs, o);
    bool engine_went = !dr.ok && docker::engine_went_away(client, disconnects, dr.errors);
    if (engine_went)
      ctx.reporter().message(ui::Level::kError,
                             docker::engine_went_away_message("down", "run `biodev down` again once it answers"));
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    print_down(ctx, project, dr.ok, counts, dr.networks_kept, a->volumes, secs);
    return dr.ok ? 0 : engine_went ? static_cast<int>(ExitCode::kUnreachable) : 1;
  };
}

}  // namespace biodev::cli
