// `biodev up`: parses, calls stack::bring_up, prints the result.
#include <iomanip>
#include <iostream>

#include "cli/commands.h"
#include "cli/table.h"
#include "cli/up.h"
#include "profile/substitutes.h"
#include "util/strings.h"

namespace biodev::cli {

stack::Stack stack_of(Context& ctx) {
  return stack::Stack{ctx.profile(), ctx.client(), ctx.endpoint(), ctx.reporter(), &Context::cancelled(),
                      ctx.options.verbose};
}

void print_up_result(Context& ctx, const UpResult& r) {
  if (ctx.options.json) {
    nlohmann::json services = nlohmann::json::array();
    for (const auto& s : r.services) {
      nlohmann::json ports = nlohmann::json::object();
      for (const auto& [c, h] : s.published) ports[std::to_string(c)] = h;
      nlohmann::json j = {{"service", s.service}, {"container", s.container}, {"ready", s.ready},
                          {"image", s.image}, {"variant", s.variant}, {"ports", ports}};
      if (s.seconds >= 0) j["seconds"] = s.seconds;
      if (!s.stand_in.empty()) j["stand_in"] = s.stand_in;
      if (!s.substitute_for.empty()) j["substitute_for"] = s.substitute_for;
      if (!s.sandbox.empty()) j["sandbox"] = s.sandbox;
      services.push_back(j);
    }
    std::cout << nlohmann::json{{"type", "result"}, {"command", "up"}, {"project", r.project}, {"ok", r.ok},
                                {"changed", r.changed}, {"seconds", r.seconds}, {"services", services},
                                {"errors", r.failures}}
                     .dump()
              << std::endl;
    return;
  }
  Table t({"SERVICE", "STATE", "READY AFTER", "PORTS", "IMAGE"});
  for (const auto& s : r.services) {
    std::vector<std::string> ports;
    for (const auto& [c, h] : s.published)
      ports.push_back(ctx.client().reach_host() + ":" + std::to_string(h) + "->" + std::to_string(c));
    std::string name = s.service + (s.stand_in.empty() ? "" : " (stand-in for " + s.stand_in + ")");
    t.add({name, s.ready ? "ready" : "not ready", s.seconds >= 0 ? format_duration_us(static_cast<long long>(s.seconds * 1e6)) : "-",
           join(ports, ", "),
           profile::substitution_text(s.substitute_for, s.image)});
  }
  std::cerr << "\n" << t.render();
  for (const auto& f : r.failures) ctx.reporter().message(ui::Level::kError, f);
  if (r.cancelled)
    std::cerr << "interrupted: what started keeps running; `biodev up` continues, `biodev down` removes it\n";
  else if (r.ok)
    std::cerr << "project " << r.project << " is ready (" << std::fixed << std::setprecision(2) << r.seconds
              << "s)" << (r.changed ? "" : ", nothing changed") << "\n";
}

int up_exit_code(const UpResult& r) {
  if (r.unreachable) return static_cast<int>(ExitCode::kUnreachable);
  if (r.cancelled) return Context::interrupted_exit_code();
  return r.ok ? 0 : 1;
}

Runner setup_up(CLI::App& sub, Context& ctx) {
  struct Args {
    std::vector<std::string> services;
    int timeout = 300;
    bool no_seed = false, force_recreate = false, offline = false, reseed = false, build = false;
    bool shared_sandbox = false, no_shared_sandbox = false;
  };
  auto a = std::make_shared<Args>();
  sub.add_option("services", a->services, "Services to bring up, with what they depend on (default: all)");
  sub.add_option("--timeout", a->timeout, "Seconds to wait for everything to be ready")->default_val(300);
  sub.add_flag("--no-seed", a->no_seed, "Skip seeding (init scripts, buckets, collections)");
  sub.add_flag("--reseed", a->reseed, "Re-apply init scripts whose content changed since they were applied");
  sub.add_flag("--force-recreate", a->force_recreate, "Recreate containers even if their config is unchanged");
  sub.add_flag("--build", a->build, "Build the images of build: services even when their context is unchanged");
  sub.add_flag("--offline", a->offline, "Use the offline images, built locally from Debian packages");
  auto shared = sub.add_flag("--shared-sandbox", a->shared_sandbox,
                             "Group services into shared network sandboxes, one per group (docs/sandboxes.md); "
                             "it stays so until `down` or --no-shared-sandbox");
  sub.add_flag("--no-shared-sandbox", a->no_shared_sandbox,
               "Give every service a network sandbox of its own (the default) even when the profile says "
               "shared_sandbox")
      ->excludes(shared);
  return [&ctx, a] {
    UpRequest req;
    req.services = a->services;
    req.timeout_s = a->timeout;
    req.seed = !a->no_seed;
    req.force_recreate = a->force_recreate;
    req.build = a->build;
    req.image_mode = images::mode_from(a->offline);
    if (a->shared_sandbox) req.shared_sandbox = true;
    if (a->no_shared_sandbox) req.shared_sandbox = false;
    configure_up_request(ctx, req, a->reseed);
    UpResult r = bring_up(ctx, req);
    print_up_result(ctx, r);
    return up_exit_code(r);
  };
}

}  // namespace biodev::cli
