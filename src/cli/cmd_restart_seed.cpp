// `biodev restart` and `biodev seed`: act on running containers of the project.
#include <atomic>
#include <iostream>

#include "cli/commands.h"
#include "cli/pick.h"
#include "cli/restart.h"
#include "cli/up.h"
#include "docker/disconnects.h"
#include "docker/errors.h"
#include "health/wait.h"
#include "plan/apply.h"
#include "plan/labels.h"
#include "plan/project_lock.h"
#include "plan/state.h"
#include "seed/seed.h"
#include "util/parallel.h"
#include "util/strings.h"

namespace biodev::cli {

Runner setup_restart(CLI::App& sub, Context& ctx) {
  auto services = std::make_shared<std::vector<std::string>>();
  auto timeout = std::make_shared<int>(120);
  sub.add_option("services", *services, "Services to restart (default: all)");
  sub.add_option("--timeout", *timeout, "Seconds to wait for readiness")->default_val(120);
  return [&ctx, services, timeout] {
    const profile::Profile& p = ctx.profile();
    docker::Client& client = ctx.client();
    plan::ProjectLock lock(p.project, "restart", ctx.reporter(), &Context::cancelled());
    plan::ObservedState obs = plan::observe(client, p.project);
    auto chosen = pick(obs, *services, p.project);
    const long long disconnects = docker::engine_disconnects();
    std::vector<std::string> errors(chosen.size());
    std::atomic<bool> unreachable{false};
    // Every restart at once: each waits for its service to be ready again.
    parallel_for(
        chosen.size(),
        [&](size_t i) {
          const auto* c = chosen[i];
          try {
            restart_and_wait(ctx, p, *c, *timeout);
          } catch (const std::exception& e) {
            errors[i] = e.what();
            if (auto* engine = dynamic_cast<const docker::EngineError*>(&e))
              unreachable = unreachable || engine->kind() == docker::ErrorKind::kUnreachable;
            ctx.reporter().event({c->service, "failed", first_line(e.what()), -1, 0, 0, true});
          }
        },
        std::max<size_t>(chosen.size(), 1));
    ctx.reporter().finish();
    // Interrupted: the restarts the engine has keep going; only the waits were cut short.
    if (Context::cancelled()) {
      std::cerr
          << "interrupted: the restarts already sent keep going; `biodev up` waits for them\n";
      return Context::interrupted_exit_code();
    }
    int rc = 0;
    for (const auto& e : errors)
      if (!e.empty()) {
        ctx.reporter().message(ui::Level::kError, e);
        rc = 1;
      }
    // Restarts the engine failed because it was going down itself ("transport is
    // closing") are the engine's failure, not the services'.
    if (rc != 0 && (unreachable || docker::engine_went_away(client, disconnects, errors))) {
      ctx.reporter().message(ui::Level::kError, docker::engine_went_away_message(
                                                    "restart", "run `biodev up` once it answers"));
      unreachable = true;
    }
    return unreachable ? static_cast<int>(ExitCode::kUnreachable) : rc;
  };
}

Runner setup_seed(CLI::App& sub, Context& ctx) {
  auto services = std::make_shared<std::vector<std::string>>();
  auto reseed = std::make_shared<bool>(false);
  sub.add_option("services", *services, "Services to seed (default: every service with a seed)");
  sub.add_flag("--reseed", *reseed,
               "Re-apply init scripts whose content changed since they were applied");
  return [&ctx, services, reseed] {
    const profile::Profile& p = ctx.profile();
    docker::Client& client = ctx.client();
    plan::ObservedState obs = plan::observe(client, p.project);
    int rc = 0, seeded = 0;
    for (const auto* c : pick(obs, *services, p.project)) {
      const profile::Service* base = p.find(c->service);
      if (!base) continue;
      const profile::Service& s = c->variant == "offline" && base->offline ? *base->offline : *base;
      if (s.seed.kind == profile::SeedSpec::Kind::kNone) {
        if (!services->empty())
          ctx.reporter().message(ui::Level::kWarn, "service " + s.name + " has no seed");
        continue;
      }
      seed::SeedContext sc;
      sc.service = &s;
      for (const auto& b : c->ports)
        if (b.host_port) sc.published[b.container_port] = b.host_port;
      sc.container_id = c->id;
      sc.client = &client;
      sc.reseed = *reseed;
      sc.reporter = &ctx.reporter();
      try {
        auto t0 = std::chrono::steady_clock::now();
        seed::SeedSummary sum = seed::run_seed(sc);
        ctx.reporter().event(
            {s.name, "seeded",
             std::to_string(sum.applied) + " applied, " + std::to_string(sum.unchanged) +
                 " unchanged",
             std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()});
        ++seeded;
      } catch (const Error& e) {
        ctx.reporter().event({s.name, "failed", first_line(e.what()), -1, 0, 0, true});
        ctx.reporter().message(ui::Level::kError, e.what());
        rc = 1;
      }
    }
    ctx.reporter().finish();
    if (seeded == 0 && rc == 0) std::cerr << "nothing to seed (is the stack up?)\n";
    return rc;
  };
}

}  // namespace biodev::cli
