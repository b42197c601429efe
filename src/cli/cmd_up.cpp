#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <iomanip>
#include <iostream>

#include "cli/commands.h"
#include "cli/leases.h"
#include "cli/reaper_client.h"
#include "cli/table.h"
#include "cli/up.h"
#include "docker/disconnects.h"
#include "docker/engine_config.h"
#include "docker/errors.h"
#include "images/builder.h"
#include "images/select.h"
#include "plan/apply.h"
#include "plan/engine_names.h"
#include "plan/executor.h"
#include "plan/file_grants.h"
#include "plan/host_ports.h"
#include "plan/project_lock.h"
#include "plan/reconcile.h"
#include "plan/sandbox.h"
#include "plan/settle.h"
#include "profile/loader.h"
#include "profile/substitutes.h"
#include "util/strings.h"

namespace biodev::cli {

namespace fs = std::filesystem;

std::set<std::string> with_dependencies(const profile::Profile& p, const std::vector<std::string>& names) {
  std::set<std::string> out;
  std::vector<std::string> todo = names;
  while (!todo.empty()) {
    std::string n = todo.back();
    todo.pop_back();
    const profile::Service* s = p.find(n);
    if (!s) {
      std::string hint = closest_match(n, p.service_names());
      throw UsageError("unknown service \"" + n + "\"" + (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)") +
                       "; the profile has: " + join(p.service_names(), ", "));
    }
    if (!out.insert(n).second) continue;
    for (const auto& d : s->depends_on) todo.push_back(d.service);
  }
  return out;
}

void prepare_host_paths(const profile::Profile& p, const plan::DesiredOptions& o) {
  auto [uid, gid] = profile::data_owner();
  for (const auto& base : p.services) {
    if (!o.services.empty() && !o.services.count(base.name)) continue;
    const profile::Service& s = plan::effective_service(base, o);
    for (const auto& m : s.mounts) {
      if (m.type != profile::MountSpec::Type::kBind) continue;
      if (m.data) {
        std::error_code ec;
        if (!fs::exists(m.source)) {
          fs::create_directories(m.source, ec);
          if (ec) throw Error(ExitCode::kFailed, m.loc.to_string() + ": cannot create " + m.source + ": " + ec.message());
          // The container user owns its data folder, and that is the invoking user.
          if (geteuid() == 0 && chown(m.source.c_str(), static_cast<uid_t>(uid), static_cast<gid_t>(gid)) != 0)
            throw Error(ExitCode::kFailed, "cannot hand " + m.source + " to uid " + std::to_string(uid));
        }
      } else if (!fs::exists(m.source)) {
        throw UsageError(m.loc.to_string() + ": service " + s.name + " mounts " + m.source +
                         ", which does not exist");
      }
    }
  }
}

namespace {

// An engine elsewhere would mount its own machine's folder at a bind's path: refused
// before anything is built or created.
void check_binds_reach_engine(Context& ctx, const profile::Profile& p, const plan::DesiredOptions& dopt) {
  const docker::Endpoint& ep = ctx.endpoint();
  if (ep.on_this_machine()) return;
  for (const auto& base : p.services) {
    if (!dopt.services.empty() && !dopt.services.count(base.name)) continue;
    const profile::Service& s = plan::effective_service(base, dopt);
    for (const auto& m : s.mounts) {
      if (m.type != profile::MountSpec::Type::kBind) continue;
      throw UsageError(m.loc.to_string() + ": service " + s.name + " bind-mounts " + m.source +
                       " from this machine, but the engine at " + ep.to_string() +
                       " runs on another machine and would mount that machine's " + m.source +
                       " instead; use a named volume, or run biodev where the engine runs");
    }
    if (!plan::grant_files(p, s).empty())
      throw UsageError("service " + s.name + " is given secrets or configs as files of this machine, which the engine at " +
                       ep.to_string() + " (another machine) cannot mount; give them as environment variables "
                       "or run biodev where the engine runs");
  }
}

// What the desired state is made from: the services asked for, the images chosen (and
// built), the publish address for an engine elsewhere, and whether services share
// network sandboxes.
plan::DesiredOptions desired_options(Context& ctx, const UpRequest& req,
                                     const plan::ObservedState& observed) {
  const profile::Profile& p = ctx.profile();
  docker::Client& client = ctx.client();
  ui::Reporter& rep = ctx.reporter();
  plan::DesiredOptions dopt;
  if (!req.services.empty()) dopt.services = with_dependencies(p, req.services);
  dopt.gateway_spec = req.gateway_spec;
  dopt.loopback_publish_ip = docker::remote_publish_ip(ctx.endpoint(), client.reach_host());
  check_binds_reach_engine(ctx, p, dopt);
  if (!dopt.loopback_publish_ip.empty())
    rep.message(ui::Level::kInfo, "the engine at " + ctx.endpoint().to_string() +
                                      " is not on this machine: ports the profile binds to 127.0.0.1 are published on " +
                                      dopt.loopback_publish_ip + " of the engine's host, reached at " +
                                      client.reach_host());
  dopt.shared_sandbox = req.shared_sandbox.value_or(
      p.shared_sandbox || std::any_of(observed.containers.begin(), observed.containers.end(),
                                      [](const plan::ObservedContainer& c) { return !c.sandbox.empty(); }));
  // The sandboxes run this binary's `serve sandbox`: the runtime image, cached. Made
  // before the services' images are chosen, so that services on the same image see
  // the id it has now.
  if (dopt.shared_sandbox && !plan::group_sandboxes(p).groups.empty()) {
    images::BuildResult rt = images::build_runtime_image(client, images::BuildOptions{});
    dopt.sandbox_image = {rt.image, rt.image_id, "offline"};
  }
  images::EnsureOptions eo{req.image_mode, dopt.services, &observed, &Context::cancelled()};
  eo.force_build = req.build;
  eo.substitutes = p.substitutes;
  dopt.images = images::ensure_images(client, p, eo, rep);
  if (dopt.shared_sandbox) {
    std::vector<const profile::Service*> effective;
    for (const auto& s : p.services) effective.push_back(&plan::effective_service(s, dopt));
    if (dopt.sandbox_image.ref.empty() || plan::group_sandboxes(effective).groups.empty()) dopt.shared_sandbox = false;
  }
  return dopt;
}

void show_plan(Context& ctx, const plan::Plan& plan, const plan::DesiredOptions& dopt) {
  if (!ctx.options.verbose) return;
  ui::Reporter& rep = ctx.reporter();
  rep.message(ui::Level::kInfo, "plan:\n" + plan.to_string());
  for (const auto& base : ctx.profile().services)
    if (dopt.services.empty() || dopt.services.count(base.name))
      rep.message(
          ui::Level::kInfo,
          base.name + ": " + profile::readiness_summary(base, plan::effective_service(base, dopt)));
}

// Each service's outcome: its container, ports, image and when it became ready.
std::vector<ServiceOutcome> outcomes(const profile::Profile& p, const plan::DesiredState& desired,
                                     const plan::DesiredOptions& dopt, const plan::EngineOps& ops,
                                     const std::map<std::string, double>& ready_at) {
  std::vector<ServiceOutcome> out;
  for (const auto& c : desired.containers) {
    if (c.is_sandbox) continue;  // no service: shown as its members' sandbox
    ServiceOutcome so;
    so.service = c.service;
    so.sandbox = c.sandbox;
    so.container = c.name;
    so.published = ops.published(c.service);
    so.image = c.spec.image;
    auto img = dopt.images.find(c.service);
    so.variant = img != dopt.images.end() ? img->second.variant : "";
    auto it = ready_at.find(c.service);
    so.ready = it != ready_at.end();
    so.seconds = so.ready ? it->second : -1;
    const profile::Service* svc = p.find(c.service);
    so.stand_in = svc ? plan::effective_service(*svc, dopt).stand_in : "";
    so.substitute_for = svc ? plan::effective_service(*svc, dopt).substitute_for : "";
    out.push_back(so);
  }
  return out;
}

// The containers of services that did not become ready or whose ops failed (a seed
// the stop cut off), but those the plan itself stopped.
void collect_not_ready(const UpResult& result, const plan::Plan& plan, const plan::Executor& ex,
                       const plan::EngineOps& ops, std::set<std::string>& not_ready) {
  for (const auto& so : result.services)
    if (!so.ready)
      if (std::string id = ops.container_id(so.service); !id.empty()) not_ready.insert(id);
  for (const auto& f : ex.failures())
    if (std::string id = ops.container_id(f.op->subject); !id.empty()) not_ready.insert(id);
  for (const auto& op : plan.ops)
    if (op.kind == plan::OpKind::kStopContainer || op.kind == plan::OpKind::kRemoveContainer)
      not_ready.erase(op.target);
}

// Runs the plan; ready_at gets when each service became ready (seconds since t0).
plan::Executor run_plan(Context& ctx, const plan::Plan& plan, plan::EngineOps& ops,
                        std::chrono::steady_clock::time_point t0,
                        std::map<std::string, double>& ready_at) {
  ui::Reporter& rep = ctx.reporter();
  auto mu = std::make_shared<std::mutex>();
  plan::Executor ex(
      plan, [&ops](const plan::Op& op) { ops.run(op); },
      [&rep, &ready_at, mu, t0](const plan::OpEvent& e) {
        if (e.phase == plan::OpEvent::Phase::kDone &&
            (e.op->kind == plan::OpKind::kAwaitReady ||
             e.op->kind == plan::OpKind::kAwaitCompleted)) {
          std::lock_guard l(*mu);
          ready_at[e.op->subject] =
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        }
        if (e.phase == plan::OpEvent::Phase::kFailed)
          rep.event({e.op->subject, "failed", first_line(e.detail), -1, 0, 0, true});
      });
  ex.run(&Context::cancelled());
  rep.finish();
  return ex;
}

// One observe, plan and apply. `not_ready` gets the containers of the services that did
// not become ready or whose ops failed (a seed the stop cut off), but those the plan
// itself stopped.
UpResult up_once(Context& ctx, const UpRequest& req, std::chrono::steady_clock::time_point t0,
                 std::set<std::string>& not_ready) {
  const profile::Profile& p = ctx.profile();
  docker::Client& client = ctx.client();
  UpResult result;
  result.project = p.project;
  const long long disconnects = docker::engine_disconnects();

  // A killed `down` or `restart` may have stops still running in the engine: plan on
  // the state they leave, not on containers about to exit.
  plan::ObservedState observed =
      plan::settle_stops_in_flight(client, p.project, plan::observe(client, p.project));
  plan::check_external(client, p);
  plan::DesiredOptions dopt = desired_options(ctx, req, observed);
  plan::DesiredState desired = plan::desired_state(p, dopt);
  // Ports are bound on this machine only when the engine runs on it; an engine elsewhere
  // is the judge of its own ports. The check may wait out a start of this project still
  // in flight and look again.
  if (dopt.loopback_publish_ip.empty() && ctx.endpoint().on_this_machine())
    plan::check_host_ports(client, p.project, p, dopt, observed);
  prepare_host_paths(p, dopt);
  plan::materialize_grants(p, dopt, &ctx.reporter());
  plan::UpOptions uo{req.force_recreate, req.seed, req.services.empty()};
  plan::Plan plan = plan::reconcile_up(desired, observed, uo);
  show_plan(ctx, plan, dopt);

  plan::ApplyContext ac;
  ac.client = &client;
  ac.profile = &p;
  ac.desired = &desired;
  ac.observed = &observed;
  ac.desired_options = dopt;
  ac.deadline = t0 + std::chrono::seconds(req.timeout_s);
  ac.cancel = &Context::cancelled();
  ac.reporter = &ctx.reporter();
  ac.seeder = req.seeder;
  plan::EngineOps ops(ac);
  std::map<std::string, double> ready_at;
  plan::Executor ex = run_plan(ctx, plan, ops, t0, ready_at);
  result.ok = ex.failures().empty() && !ex.cancelled();
  result.cancelled = ex.cancelled();
  for (const auto& f : ex.failures()) {
    result.failures.push_back(f.message);
    result.unreachable |= f.engine_unreachable;
  }
  // Services that died because the engine stopped under them fail with their exit
  // code; the cause is the engine, and the answer another `up` once it is back.
  if (!result.ok && !result.cancelled && !result.unreachable &&
      docker::engine_went_away(client, disconnects, result.failures)) {
    result.unreachable = true;
    result.failures.push_back(docker::engine_went_away_message("up", "run `biodev up` again once it answers"));
  }
  result.services = outcomes(p, desired, dopt, ops, ready_at);
  if (!result.ok) collect_not_ready(result, plan, ex, ops, not_ready);
  result.changed = !plan.changes_nothing();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return result;
}

// The lease service learns the stack's stores and host-facing env only now, with
// every port published (docs/leases.md).
void configure_leases(Context& ctx, const UpRequest& req) {
  const profile::Profile& p = ctx.profile();
  const profile::Service* leases = lease_service(p);
  if (!leases || (!req.services.empty() && !with_dependencies(p, req.services).count(leases->name))) return;
  // The stack itself is up and usable: a lease service that cannot be configured is a
  // warning here, and the error of every `biodev lease` until it is fixed.
  try {
    send_lease_config(ctx);
  } catch (const Error& e) {
    ctx.reporter().message(ui::Level::kWarn, std::string("leases are not available: ") + e.what());
  }
}

}  // namespace

UpResult bring_up(Context& ctx, const UpRequest& req) {
  auto t0 = std::chrono::steady_clock::now();
  const profile::Profile& p = ctx.profile();
  plan::ProjectLock lock(p.project, "up", ctx.reporter(), &Context::cancelled());
  bool changed = false;
  for (int attempt = 1;; ++attempt) {
    std::set<std::string> not_ready;
    auto began = std::chrono::system_clock::now();
    UpResult r = up_once(ctx, req, t0, not_ready);
    r.changed |= changed;
    changed = r.changed;
    if (r.ok) configure_leases(ctx, req);
    if (r.ok || r.cancelled || r.unreachable || attempt == 3) return r;
    // Stop requests of a killed `down` or `restart` can reach the engine after this `up`
    // looked (and a `docker stop` can come at any time): containers it kept or started
    // then stop under it. That is no failure of the stack; plan again on what is there.
    std::set<std::string> stopped;
    try {
      stopped = plan::stopped_through_engine(ctx.client(), p.project, not_ready, began);
    } catch (const docker::EngineError&) {
      return r;
    }
    if (stopped.empty()) return r;
    ctx.reporter().message(ui::Level::kWarn,
                           std::to_string(stopped.size()) + " of the project's containers were stopped while `up` ran "
                           "(stop requests of an interrupted `biodev down` or `restart`, or a `docker stop`); "
                           "planning again");
  }
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
