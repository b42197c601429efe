#include "cli/restart.h"

#include "docker/errors.h"
#include "health/wait.h"
#include "plan/apply.h"
#include "util/error.h"

namespace biodev::cli {

void restart_and_wait(Context& ctx, const profile::Profile& p, const plan::ObservedContainer& c,
                      int timeout_s) {
  docker::Client& client = ctx.client();
  auto t0 = std::chrono::steady_clock::now();
  const profile::Service* base = p.find(c.service);
  const profile::Service* s = base && c.variant == "offline" && base->offline ? base->offline.get() : base;
  int grace = s ? s->stop_grace_s : 2;
  ctx.reporter().event({c.service, "restarting"});
  try {
    client.restart_container(c.id, grace);
  } catch (const docker::EngineError& e) {
    if (e.kind() == docker::ErrorKind::kUnreachable) throw;
    throw Error(ExitCode::kFailed, "service " + c.service + ": restart failed: " + e.what());
  }
  if (s && s->ready.kind != profile::ProbeSpec::Kind::kNone) {
    std::vector<docker::PortBinding> ports;
    for (const auto& x : client.list_containers({{"id", {c.id}}}, true)) ports = x.ports;
    if (auto target = plan::host_probe_target(s->ready, ports, "")) {
      health::WaitOptions wo;
      wo.timeout = std::chrono::seconds(timeout_s);
      wo.cancel = &Context::cancelled();
      wo.exec = [&](const std::vector<std::string>& cmd) { return client.exec(c.id, cmd).exit_code; };
      health::WaitResult w = health::wait_ready(*target, wo);
      if (!w.ready) throw Error(ExitCode::kFailed, "service " + c.service + " " + w.failure);
    }
  }
  ctx.reporter().event({c.service, "ready", "", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()});
}

}  // namespace biodev::cli
