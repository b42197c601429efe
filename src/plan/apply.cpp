#include "plan/apply.h"

#include <algorithm>
#include <filesystem>
#include <thread>

#include "docker/engine_config.h"
#include "docker/errors.h"
#include "docker/network_release.h"
#include "health/wait.h"
#include "plan/labels.h"
#include "plan/stop_reason.h"
#include "util/strings.h"

namespace biodev::plan {

using docker::EngineError;
using docker::ErrorKind;
using namespace std::chrono;

namespace {


}  // namespace

std::optional<health::ProbeTarget> host_probe_target(const profile::ProbeSpec& spec,
                                                     const std::vector<docker::PortBinding>& ports,
                                                     const std::string& bridge_ip,
                                                     const std::string& reach) {
  health::ProbeTarget t{spec, "", 0};
  if (spec.kind == profile::ProbeSpec::Kind::kNone || spec.kind == profile::ProbeSpec::Kind::kExec)
    return t;
  for (const auto& b : ports) {
    if (b.container_port != spec.port || b.host_port == 0 || b.protocol != "tcp") continue;
    t.host = docker::reach_address(b.host_ip, reach);
    t.port = b.host_port;
    return t;
  }
  if (bridge_ip.empty() || reach != "127.0.0.1") return std::nullopt;
  t.host = bridge_ip;
  t.port = spec.port;
  return t;
}

EngineOps::EngineOps(ApplyContext ctx) : ctx_(std::move(ctx)) {
  if (ctx_.observed) {
    for (const auto& c : ctx_.observed->containers) {
      ids_[c.service] = c.id;
      ports_[c.service] = c.ports;
      if (c.state == "running") ips_[c.service] = c.ip;
    }
    net_ids_ = ctx_.observed->networks;
  }
}

const profile::Service& EngineOps::service(const std::string& name) const {
  const profile::Service* s = ctx_.profile ? ctx_.profile->find(name) : nullptr;
  if (!s) throw Error(ExitCode::kFailed, "internal: no service " + name + " in the profile");
  return effective_service(*s, ctx_.desired_options);
}

std::string EngineOps::container_id(const std::string& service) const {
  std::lock_guard lock(mu_);
  auto it = ids_.find(service);
  return it == ids_.end() ? "" : it->second;
}

std::map<int, int> EngineOps::published(const std::string& service) const {
  std::lock_guard lock(mu_);
  std::map<int, int> out;
  auto it = ports_.find(service);
  if (it != ports_.end())
    for (const auto& b : it->second)
      if (b.host_port) out[b.container_port] = b.host_port;
  return out;
}

void EngineOps::report(const std::string& subject, const std::string& state,
                       const std::string& detail, double seconds, bool error) const {
  if (ctx_.reporter) ctx_.reporter->event({subject, state, detail, seconds, 0, 0, error});
}

std::vector<std::string> EngineOps::networks_kept() const {
  std::lock_guard lock(mu_);
  return networks_kept_;
}

std::string EngineOps::last_logs(const std::string& id, int lines) const {
  std::string out;
  try {
    docker::LogOptions lo;
    lo.tail = lines;
    ctx_.client->logs(id, lo, false, [&](docker::StreamId, std::string_view payload) {
      out.append(payload);
    });
  } catch (const std::exception&) {
    return {};
  }
  std::string indented;
  for (const auto& line : split(trim(out), '\n')) indented += "\n    " + line;
  return indented;
}

void EngineOps::run(const Op& op) {
  docker::Client& c = *ctx_.client;
  switch (op.kind) {
    case OpKind::kCreateNetwork: create_network(op); return;
    case OpKind::kCreateVolume: create_volume(op); return;
    case OpKind::kStopContainer: {
      report(op.subject, "stopping", op.reason);
      int grace = 2;
      if (ctx_.desired)
        if (auto* d = ctx_.desired->find(op.subject)) grace = d->stop_grace_s;
      c.stop_container(op.target, grace);
      return;
    }
    case OpKind::kRemoveContainer:
      c.remove_container(op.target, true);
      report(op.subject, "removed", op.reason);
      return;
    case OpKind::kCreateContainer: create(op); return;
    case OpKind::kConnectNetwork: {
      for (const auto& [net, aliases] : ctx_.desired->find(op.subject)->extra_networks)
        if (net == op.target) c.connect_network(network_id(net), container_id(op.subject), aliases);
      return;
    }
    case OpKind::kStartContainer: start(op); return;
    case OpKind::kAwaitReady: await_ready(op); return;
    case OpKind::kAwaitCompleted: await_completed(op); return;
    case OpKind::kSeed: seed(op); return;
    case OpKind::kRemoveNetwork:
      try {
        docker::remove_network_when_free(c, op.target);  // gone already: as good
      } catch (const docker::NetworkKeptByEngine& e) {
        // Empty and harmless; the next up uses it as it is. Said, not failed.
        report("network " + op.subject, "kept", "by the engine");
        if (ctx_.reporter) ctx_.reporter->message(progress::Level::kWarn, e.what());
        std::lock_guard lock(mu_);
        networks_kept_.push_back(e.network());
        return;
      }
      report("network " + op.subject, "removed");
      return;
    case OpKind::kRemoveVolume:
      c.remove_volume(op.target);
      report("volume " + op.subject, "removed");
      return;
    case OpKind::kRemoveDataDir: remove_data_dir(op); return;
  }
}

void EngineOps::create_volume(const Op& op) {
  const profile::Volume* spec = nullptr;
  if (ctx_.profile)
    for (const auto& v : ctx_.profile->volumes)
      if (v.name == op.subject) spec = &v;
  std::map<std::string, std::string> lbl = spec ? spec->labels : std::map<std::string, std::string>{};
  lbl[labels::kProject] = ctx_.desired->project;
  lbl[labels::kVolume] = op.subject;
  if (spec && !spec->service.empty()) lbl[labels::kService] = spec->service;  // an anonymous volume
  if (spec)
    ctx_.client->create_volume(op.target, lbl, spec->driver, spec->driver_opts);
  else
    ctx_.client->create_volume(op.target, lbl);
  report("volume " + op.subject, "created");
}

void EngineOps::create_network(const Op& op) {
  const auto& nets = ctx_.desired->networks;
  auto n = std::find_if(nets.begin(), nets.end(), [&](const auto& x) { return x.full_name == op.target; });
  if (n == nets.end()) throw std::logic_error("plan names a network the profile does not have: " + op.target);
  docker::Client& c = *ctx_.client;
  std::string id, how = "created";
  try {
    id = c.create_network(n->spec);
  } catch (const EngineError& e) {
    // An up killed while its create was in flight: the engine finishes the create
    // after the snapshot of this up was taken. Ours by label: adopt it.
    if (e.kind() != ErrorKind::kConflict) throw;
    docker::NetworkSummary existing = c.inspect_network(n->full_name);
    auto label = existing.labels.find(labels::kProject);
    if (label == existing.labels.end() || label->second != ctx_.desired->project)
      throw Error(ExitCode::kFailed, "network " + n->full_name +
                                         " exists and is not labelled for this project; "
                                         "remove it or choose another project name (-p)");
    id = existing.id;
    how = "adopted";
  }
  {
    std::lock_guard lock(mu_);
    net_ids_[n->full_name] = id;
  }
  remove_duplicate_networks();
  report("network " + op.subject, how, how == "adopted" ? "left by an interrupted up" : "");
}

std::string EngineOps::network_id(const std::string& full_name) const {
  std::lock_guard lock(mu_);
  auto it = net_ids_.find(full_name);
  return it == net_ids_.end() ? full_name : it->second;
}

// The create body with networks named by id: names can be ambiguous (the engine allows
// two networks of one name), ids cannot. The config hash stays on the names.
docker::ContainerSpec EngineOps::spec_with_network_ids(const DesiredContainer& d) const {
  docker::ContainerSpec spec = d.spec;
  spec.host.network_mode = network_id(spec.host.network_mode);
  if (spec.endpoint) spec.endpoint->network = network_id(spec.endpoint->network);
  return spec;
}

void EngineOps::create(const Op& op) {
  const DesiredContainer* d = ctx_.desired->find(op.subject);
  report(op.subject, "creating", op.reason);
  docker::ContainerSpec spec = spec_with_network_ids(*d);
  std::string id;
  // The name can be taken by an `up` that was killed after this one observed the engine:
  // its container is ours to replace. If that up was killed while its create was still
  // running in the engine, the engine holds the name before the container can be
  // inspected (it registers it after making its filesystem): look again until it shows.
  auto deadline = steady_clock::now() + 10s;
  for (;;) {
    try {
      id = ctx_.client->create_container(d->name, spec);
      break;
    } catch (const EngineError& e) {
      if (e.kind() == ErrorKind::kConflict) {
        NameHolder holder = name_holder(d->name);
        if (holder == NameHolder::kOther)
          throw EngineError(e.kind(), e.status(),
                            "service " + op.subject + ": a container named " + d->name +
                                " already exists but is not labelled for this project: " +
                                e.what() + " (remove it, or pick another project name with -p)");
        bool in_time = steady_clock::now() < deadline;
        if (holder == NameHolder::kThisProject && in_time) {
          ctx_.client->remove_container(d->name, true);
          continue;
        }
        if (holder == NameHolder::kNoneVisible && in_time &&
            !(ctx_.cancel && ctx_.cancel->load())) {
          std::this_thread::sleep_for(100ms);
          continue;
        }
        throw EngineError(
            e.kind(), e.status(),
            "service " + op.subject + ": the container name " + d->name +
                " is still taken, and no container of this project holding it could be replaced: " +
                e.what());
      }
      if (e.kind() == ErrorKind::kNotFound)
        throw EngineError(e.kind(), e.status(),
                          "service " + op.subject + ": image " + spec.image +
                              " not found: run `biodev images build`, or `biodev up` with a registry");
      throw EngineError(e.kind(), e.status(), "service " + op.subject + ": " + e.what());
    }
  }
  std::lock_guard lock(mu_);
  ids_[op.subject] = id;
}

void EngineOps::remove_duplicate_networks() {
  docker::Filters f{{"label", {std::string(labels::kProject) + "=" + ctx_.desired->project}}};
  for (const auto& n : ctx_.client->list_networks(f)) {
    std::string ours = network_id(n.name);
    if (ours == n.name || ours == n.id) continue;  // unknown to us, or the one we use
    try {
      ctx_.client->remove_network(n.id);
      report("network " + n.name, "removed", "duplicate");
    } catch (const EngineError&) {
      // In use by something: then it is not the stray one.
    }
  }
}

EngineOps::NameHolder EngineOps::name_holder(const std::string& name) const {
  try {
    bool ours = ctx_.client->inspect_container(name).label(labels::kProject) == ctx_.desired->project;
    return ours ? NameHolder::kThisProject : NameHolder::kOther;
  } catch (const EngineError& e) {
    if (e.kind() == ErrorKind::kUnreachable) throw;
    // Not found, or (engine 20.10: HTTP 500) a name whose container is not registered
    // yet: a create still in flight, or a container that has just gone.
    return NameHolder::kNoneVisible;
  }
}

void EngineOps::start(const Op& op) {
  std::string id = container_id(op.subject);
  if (id.empty()) id = op.target;
  report(op.subject, "starting", op.reason);
  try {
    try {
      ctx_.client->start_container(id);
    } catch (const EngineError& e) {
      if (docker::is_stale_task(e) && ctx_.desired) {
        // After an engine restart containerd can keep a task under the container's id
        // that the engine no longer knows, and refuses every start of that container.
        // A new container of the same config has a new id; its data is in its mounts.
        report(op.subject, "starting", "in a new container: the engine kept a task of the old one");
        ctx_.client->remove_container(id, true);
        Op again = op;
        again.kind = OpKind::kCreateContainer;
        again.reason = "recreate";
        create(again);
        id = container_id(op.subject);
        for (const auto& [net, aliases] : ctx_.desired->find(op.subject)->extra_networks)
          ctx_.client->connect_network(network_id(net), id, aliases);
        ctx_.client->start_container(id);
      } else {
        // A killed `up` may have created a network of the same name after we created
        // ours; the engine then refuses to start. Remove the stray one and retry once.
        if (!docker::is_ambiguous_network(e)) throw;
        remove_duplicate_networks();
        ctx_.client->start_container(id);
      }
    }
  } catch (const EngineError& e) {
    if (e.kind() == ErrorKind::kPortAllocated) {
      std::string port = docker::port_from_message(e.what());
      throw EngineError(e.kind(), e.status(),
                        "port " + (port.empty() ? std::string("?") : port) +
                            " is already allocated (service " + op.subject +
                            "): another program or stack uses it; stop it, or change the "
                            "service's ports: in the profile (0 lets the engine pick)");
    }
    throw EngineError(e.kind(), e.status(), "service " + op.subject + ": " + e.what());
  }
  record_ports(op.subject, id);
  report(op.subject, "started");
}

void EngineOps::record_ports(const std::string& service, const std::string& id) {
  const DesiredContainer* d = ctx_.desired ? ctx_.desired->find(service) : nullptr;
  if (d && !d->sandbox.empty()) {
    // A member of a shared sandbox: its ports and address are the sandbox's, recorded
    // when the sandbox started (its start is a dependency of this one).
    std::string own = d->spec.label(labels::kSandboxPorts);
    std::vector<std::string> mine = split(own, ',');
    std::lock_guard lock(mu_);
    std::vector<docker::PortBinding> bindings;
    for (const auto& b : ports_[d->sandbox])
      if (std::find(mine.begin(), mine.end(), std::to_string(b.container_port) + "/" + b.protocol) != mine.end())
        bindings.push_back(b);
    ports_[service] = bindings;
    ips_[service] = ips_[d->sandbox];
    return;
  }
  bool wants_ports = d ? d->spec.host.port_bindings && !d->spec.host.port_bindings->empty()
                       : ctx_.profile && !this->service(service).ports.empty();
  for (int attempt = 0; attempt < 20; ++attempt) {
    docker::ContainerInfo info = ctx_.client->inspect_container(id);
    std::vector<docker::PortBinding> bindings;
    for (const auto& pb : info.published_ports)
      if (pb.host_ip != "::") bindings.push_back(pb);  // the IPv4 binding is enough for host probes
    bool complete = !wants_ports || !bindings.empty();
    {
      std::lock_guard lock(mu_);
      ports_[service] = bindings;
      ips_[service] = info.first_ip();
    }
    if (complete) return;
    std::this_thread::sleep_for(milliseconds(5));  // moby#42860: map filled just after start
  }
}

void EngineOps::await_ready(const Op& op) {
  const profile::Service& s = service(op.subject);
  std::string id = container_id(op.subject);
  auto t0 = steady_clock::now();
  std::vector<docker::PortBinding> ports;
  std::string known_ip;  // from the snapshot or the start: no inspect needed
  {
    std::lock_guard lock(mu_);
    ports = ports_[op.subject];
    known_ip = ips_.count(op.subject) ? ips_[op.subject] : "";
  }
  auto died = [&]() -> std::optional<std::string> {
    docker::ContainerInfo info = ctx_.client->inspect_container(id);
    if (info.running) return std::nullopt;
    return stop_reason(info, &s);
  };
  // "service X exited with code 1; last log lines:\n    ..."
  auto failed = [&](const std::string& why) {
    std::string logs = why == "cancelled" ? "" : last_logs(id, 15);
    return Error(ExitCode::kFailed, "service " + op.subject + " " + why + full_disk_hint(s) +
                                        (logs.empty() ? "" : "; last log lines:" + logs));
  };
  std::string bridge_ip;
  const std::string& reach = ctx_.client->reach_host();
  auto target = host_probe_target(s.ready, ports, "", reach);
  if (!target && !known_ip.empty()) target = host_probe_target(s.ready, ports, known_ip, reach);
  if (!target) {
    bridge_ip = ctx_.client->inspect_container(id).first_ip();
    target = host_probe_target(s.ready, ports, bridge_ip, reach);
    // A container that already exited has no ports: say that, not "unreachable".
    if (auto why = died()) throw failed(*why);
    if (!target)
      throw Error(ExitCode::kFailed, "service " + op.subject + ": port " +
                                         std::to_string(s.ready.port) +
                                         " is neither published nor reachable on a bridge network");
  }
  report(op.subject, "waiting", std::string(profile::to_string(s.ready.kind)) +
                                    (target->port ? " " + target->host + ":" + std::to_string(target->port) : ""));
  health::WaitOptions wo;
  auto budget = duration_cast<milliseconds>(ctx_.deadline - steady_clock::now());
  wo.timeout = std::min(milliseconds(s.ready.timeout_ms), std::max(budget, milliseconds(0)));
  wo.cancel = ctx_.cancel;
  wo.exec = [&](const std::vector<std::string>& cmd) { return ctx_.client->exec(id, cmd).exit_code; };
  wo.died = died;
  if (s.ready.kind == profile::ProbeSpec::Kind::kNone) {
    if (auto why = died()) throw failed(*why);
    report(op.subject, "ready", "running (no probe)", duration<double>(steady_clock::now() - t0).count());
    return;
  }
  health::WaitResult r = health::wait_ready(*target, wo);
  double secs = duration<double>(steady_clock::now() - t0).count();
  if (!r.ready) throw failed(r.failure);
  {
    std::lock_guard lock(mu_);
    probe_host_[op.subject] = target->host;
  }
  report(op.subject, "ready", r.last.detail, secs);
}

void EngineOps::await_completed(const Op& op) {
  std::string id = container_id(op.subject);
  report(op.subject, "running", "waiting for it to finish");
  auto t0 = steady_clock::now();
  int code = ctx_.client->wait_container(id);
  double secs = duration<double>(steady_clock::now() - t0).count();
  if (code != 0)
    throw Error(ExitCode::kFailed, "service " + op.subject + " exited with code " +
                                       std::to_string(code) + "; last log lines:" + last_logs(id, 15));
  report(op.subject, "completed", "exit 0", secs);
}

void EngineOps::seed(const Op& op) {
  if (!ctx_.seeder) return;
  SeedRequest req;
  req.service = &service(op.subject);
  req.container_id = container_id(op.subject);
  req.published = published(op.subject);
  {
    std::lock_guard lock(mu_);
    req.host = probe_host_.count(op.subject) ? probe_host_[op.subject] : ctx_.client->reach_host();
  }
  auto t0 = steady_clock::now();
  report(op.subject, "seeding");
  ctx_.seeder(req);
  report(op.subject, "seeded", "", duration<double>(steady_clock::now() - t0).count());
}

void EngineOps::remove_data_dir(const Op& op) {
  std::error_code ec;
  std::filesystem::remove_all(op.target, ec);
  if (ec)
    throw Error(ExitCode::kFailed, "could not remove " + op.target + ": " + ec.message() +
                                       " (files written by a container as another user? "
                                       "remove them with sudo)");
  report(op.target, "removed");
}

}  // namespace biodev::plan
