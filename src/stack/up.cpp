// `up` as a function of the stack: observe, choose images, plan, apply, retry what an
// interrupted verb stopped under it.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <filesystem>
#include <optional>
#include <thread>

#include "stack/up.h"

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
#include "plan/in_place_restart.h"
#include "plan/labels.h"
#include "plan/project_lock.h"
#include "plan/reconcile.h"
#include "plan/sandbox.h"
#include "plan/settle.h"
#include "profile/loader.h"
#include "profile/substitutes.h"
#include "stack/leases.h"
#include "util/strings.h"

namespace biodev::stack {

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
void check_binds_reach_engine(const Stack& stack, const profile::Profile& p, const plan::DesiredOptions& dopt) {
  const docker::Endpoint& ep = stack.endpoint;
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

// A service restarted in place runs its command under biodev-init, which needs the
// image's entrypoint and command where the service sets no entrypoint of its own.
void add_image_commands(docker::Client& client, const profile::Profile& p, plan::DesiredOptions& dopt) {
  for (const auto& base : p.services) {
    if (!dopt.services.empty() && !dopt.services.count(base.name)) continue;
    const profile::Service& s = plan::effective_service(base, dopt);
    auto it = dopt.images.find(base.name);
    if (!s.restarts_in_place() || it == dopt.images.end() || !s.entrypoint.empty()) continue;
    auto info = client.inspect_image(it->second.id.empty() ? it->second.ref : it->second.id);
    if (!info) continue;
    it->second.entrypoint = info->config.entrypoint().value_or(std::vector<std::string>{});
    it->second.cmd = info->config.cmd().value_or(std::vector<std::string>{});
    it->second.commands_known = true;
  }
}

// What the desired state is made from: the services asked for, the images chosen (and
// built), the publish address for an engine elsewhere, and whether services share
// network sandboxes.
plan::DesiredOptions desired_options(const Stack& stack, const UpRequest& req,
                                     const plan::ObservedState& observed,
                                     const std::map<std::string, plan::ImageChoice>& built) {
  const profile::Profile& p = stack.profile;
  docker::Client& client = stack.client;
  progress::Reporter& rep = stack.reporter;
  plan::DesiredOptions dopt;
  if (!req.services.empty()) dopt.services = with_dependencies(p, req.services);
  dopt.gateway_spec = req.gateway_spec;
  dopt.loopback_publish_ip = docker::remote_publish_ip(stack.endpoint, client.reach_host());
  check_binds_reach_engine(stack, p, dopt);
  if (!dopt.loopback_publish_ip.empty())
    rep.message(progress::Level::kInfo, "the engine at " + stack.endpoint.to_string() +
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
  images::EnsureOptions eo{req.image_mode, dopt.services, &observed, stack.cancel};
  eo.force_build = req.build;
  eo.substitutes = p.substitutes;
  eo.built = built;
  dopt.images = images::ensure_images(client, p, eo, rep);
  dopt.in_place_restart = stack.endpoint.on_this_machine();
  if (dopt.in_place_restart) add_image_commands(client, p, dopt);
  if (dopt.shared_sandbox) {
    std::vector<const profile::Service*> effective;
    for (const auto& s : p.services) effective.push_back(&plan::effective_service(s, dopt));
    if (dopt.sandbox_image.ref.empty() || plan::group_sandboxes(effective).groups.empty()) dopt.shared_sandbox = false;
  }
  return dopt;
}

void show_plan(const Stack& stack, const plan::Plan& plan, const plan::DesiredOptions& dopt) {
  if (!stack.verbose) return;
  progress::Reporter& rep = stack.reporter;
  rep.message(progress::Level::kInfo, "plan:\n" + plan.to_string());
  for (const auto& base : stack.profile.services)
    if (dopt.services.empty() || dopt.services.count(base.name))
      rep.message(
          progress::Level::kInfo,
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
plan::Executor run_plan(const Stack& stack, const plan::Plan& plan, plan::EngineOps& ops,
                        std::chrono::steady_clock::time_point t0,
                        std::map<std::string, double>& ready_at) {
  progress::Reporter& rep = stack.reporter;
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
  ex.run(stack.cancel);
  rep.finish();
  return ex;
}

// One observe, plan and apply. `not_ready` gets the containers of the services that did
// not become ready or whose ops failed (a seed the stop cut off), but those the plan
// itself stopped.
UpResult up_once(const Stack& stack, const UpRequest& req, std::chrono::steady_clock::time_point t0,
                 const std::map<std::string, plan::ImageChoice>& built, std::set<std::string>& not_ready) {
  const profile::Profile& p = stack.profile;
  docker::Client& client = stack.client;
  UpResult result;
  result.project = p.project;
  const long long disconnects = docker::engine_disconnects();

  // A killed `down` or `restart` may have stops still running in the engine: plan on
  // the state they leave, not on containers about to exit.
  plan::ObservedState observed =
      plan::settle_stops_in_flight(client, p.project, plan::observe(client, p.project));
  plan::check_external(client, p);
  plan::DesiredOptions dopt = desired_options(stack, req, observed, built);
  plan::DesiredState desired = plan::desired_state(p, dopt);
  // Ports are bound on this machine only when the engine runs on it; an engine elsewhere
  // is the judge of its own ports. The check may wait out a start of this project still
  // in flight and look again.
  if (dopt.loopback_publish_ip.empty() && stack.endpoint.on_this_machine())
    plan::check_host_ports(client, p.project, p, dopt, observed);
  prepare_host_paths(p, dopt);
  plan::materialize_grants(p, dopt, &stack.reporter);
  if (std::any_of(desired.containers.begin(), desired.containers.end(),
                  [](const plan::DesiredContainer& c) { return c.spec.labels.count(labels::kInPlaceRestart) > 0; }))
    plan::materialize_init();
  plan::UpOptions uo{req.force_recreate, req.seed, req.services.empty()};
  plan::Plan plan = plan::reconcile_up(desired, observed, uo);
  show_plan(stack, plan, dopt);

  plan::ApplyContext ac;
  ac.client = &client;
  ac.profile = &p;
  ac.desired = &desired;
  ac.observed = &observed;
  ac.desired_options = dopt;
  ac.deadline = t0 + std::chrono::seconds(req.timeout_s);
  ac.cancel = stack.cancel;
  ac.reporter = &stack.reporter;
  ac.seeder = req.seeder;
  plan::EngineOps ops(ac);
  std::map<std::string, double> ready_at;
  plan::Executor ex = run_plan(stack, plan, ops, t0, ready_at);
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
void configure_leases(const Stack& stack, const UpRequest& req) {
  const profile::Profile& p = stack.profile;
  const profile::Service* leases = lease_service(p);
  if (!leases || (!req.services.empty() && !with_dependencies(p, req.services).count(leases->name))) return;
  // The stack itself is up and usable: a lease service that cannot be configured is a
  // warning here, and the error of every `biodev lease` until it is fixed.
  try {
    send_lease_config(stack.profile, stack.client);
  } catch (const Error& e) {
    stack.reporter.message(progress::Level::kWarn, std::string("leases are not available: ") + e.what());
  }
}

// Removes what the project has now and did not have in `before` (a failed build's
// early part), so that the build error leaves the project as it was.
void remove_made_since(const Stack& stack, const plan::ObservedState& before) {
  docker::Client& client = stack.client;
  std::set<std::string> had_containers, had_volumes(before.volumes.begin(), before.volumes.end());
  for (const auto& c : before.containers) had_containers.insert(c.id);
  try {
    plan::ObservedState now = plan::observe(client, stack.profile.project);
    for (const auto& c : now.containers)
      if (!had_containers.count(c.id)) client.remove_container(c.id, true, true);
    for (const auto& [name, id] : now.networks)
      if (!before.has_network(name)) client.remove_network(id);
    for (const auto& v : now.volumes)
      if (!had_volumes.count(v)) client.remove_volume(v, true);
  } catch (const std::exception& e) {
    stack.reporter.message(progress::Level::kWarn,
                           std::string("cannot remove what this `up` made before its build failed: ") + e.what() +
                               "; `biodev down` removes it");
  }
}

// The services of `wanted` (empty = all) that neither run an image of `building` nor
// depend on one, directly or through others.
std::vector<std::string> needing_none_of(const profile::Profile& p, const std::set<std::string>& wanted,
                                         const std::set<std::string>& building) {
  std::vector<std::string> out;
  for (const auto& s : p.services) {
    if (!wanted.empty() && !wanted.count(s.name)) continue;
    auto needs = with_dependencies(p, {s.name});
    if (std::none_of(needs.begin(), needs.end(), [&](const std::string& n) { return building.count(n) > 0; }))
      out.push_back(s.name);
  }
  return out;
}

// One up_once of `early` while the images of `eo.services` build on another thread.
// Ctrl-C stops both. A build that fails stops the early part, removes what it made
// since `before` and is thrown; an early part that fails or throws stops the builds
// (their images would not run now) and is what is returned or thrown.
UpResult up_beside_builds(const Stack& stack, const UpRequest& early, std::chrono::steady_clock::time_point t0,
                          images::EnsureOptions eo, const plan::ObservedState& before,
                          std::map<std::string, plan::ImageChoice>& built) {
  std::atomic<bool> stop{false}, stop_builds{false}, build_failed{false}, builds_done{false}, early_done{false};
  std::exception_ptr build_error;
  eo.cancel = &stop_builds;
  std::thread builder([&] {
    try {
      built = images::ensure_images(stack.client, stack.profile, eo, stack.reporter);
    } catch (...) {
      build_error = std::current_exception();
      if (!stop_builds) {  // failed by itself, not stopped
        build_failed = true;
        stop = true;
      }
    }
    builds_done = true;
  });
  std::thread relay([&] {
    while (!(builds_done && early_done)) {
      if (stack.cancel && stack.cancel->load()) stop = stop_builds = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  auto join = [&] {
    early_done = true;
    builder.join();
    relay.join();
  };
  Stack part{stack.profile, stack.client, stack.endpoint, stack.reporter, &stop, stack.verbose};
  std::set<std::string> not_ready;
  UpResult r;
  try {
    r = up_once(part, early, t0, {}, not_ready);
  } catch (...) {
    stop_builds = true;
    join();
    throw;
  }
  if (!r.ok) stop_builds = true;
  join();
  if (stack.cancel && stack.cancel->load()) {
    r.ok = false;
    r.cancelled = true;
    return r;
  }
  if (build_failed) {
    remove_made_since(stack, before);
    std::rethrow_exception(build_error);
  }
  return r;
}

// Images to build hold up only the services that run them and what depends on those:
// the rest of the stack comes up while they build (compose starts nothing before every
// build is done). `built` gets the images built. Nothing (and nothing done) when no
// build is pending, with --force-recreate (it would recreate twice), or with shared
// sandboxes (a sandbox holds members of both kinds).
std::optional<UpResult> up_while_building(const Stack& stack, const UpRequest& req,
                                          std::chrono::steady_clock::time_point t0,
                                          std::map<std::string, plan::ImageChoice>& built) {
  const profile::Profile& p = stack.profile;
  if (req.force_recreate || req.shared_sandbox.value_or(p.shared_sandbox)) return std::nullopt;
  std::set<std::string> wanted = req.services.empty() ? std::set<std::string>() : with_dependencies(p, req.services);
  images::EnsureOptions eo{req.image_mode, wanted, nullptr, stack.cancel};
  eo.force_build = req.build;
  eo.substitutes = p.substitutes;
  try {
    eo.services = images::builds_pending(stack.client, p, eo);
  } catch (const std::exception&) {
    return std::nullopt;  // the usual path reports it, with every other image's error
  }
  if (eo.services.empty()) return std::nullopt;
  UpRequest early = req;
  early.services = needing_none_of(p, wanted, eo.services);
  if (early.services.empty()) return std::nullopt;
  plan::ObservedState before = plan::observe(stack.client, p.project);
  if (std::any_of(before.containers.begin(), before.containers.end(),
                  [](const plan::ObservedContainer& c) { return !c.sandbox.empty(); }))
    return std::nullopt;
  return up_beside_builds(stack, early, t0, eo, before, built);
}

}  // namespace

UpResult bring_up(const Stack& stack, const UpRequest& req) {
  auto t0 = std::chrono::steady_clock::now();
  const profile::Profile& p = stack.profile;
  plan::ProjectLock lock(p.project, "up", stack.reporter, stack.cancel);
  std::map<std::string, plan::ImageChoice> built;
  std::optional<UpResult> early = up_while_building(stack, req, t0, built);
  if (early && !early->ok) return *early;
  bool changed = early && early->changed;
  for (int attempt = 1;; ++attempt) {
    std::set<std::string> not_ready;
    auto began = std::chrono::system_clock::now();
    UpResult r = up_once(stack, req, t0, built, not_ready);
    r.changed |= changed;
    changed = r.changed;
    if (r.ok) configure_leases(stack, req);
    if (r.ok || r.cancelled || r.unreachable || attempt == 3) return r;
    // Stop requests of a killed `down` or `restart` can reach the engine after this `up`
    // looked (and a `docker stop` can come at any time): containers it kept or started
    // then stop under it. That is no failure of the stack; plan again on what is there.
    std::set<std::string> stopped;
    try {
      stopped = plan::stopped_through_engine(stack.client, p.project, not_ready, began);
    } catch (const docker::EngineError&) {
      return r;
    }
    if (stopped.empty()) return r;
    stack.reporter.message(progress::Level::kWarn,
                           std::to_string(stopped.size()) + " of the project's containers were stopped while `up` ran "
                           "(stop requests of an interrupted `biodev down` or `restart`, or a `docker stop`); "
                           "planning again");
  }
}

}  // namespace biodev::stack
