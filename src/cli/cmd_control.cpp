// `biodev stop`, `start`, `pause`, `unpause`, `port`, `stats` and `top`: one Engine call
// per container of the project, for the terminal.
#include <unistd.h>

#include <cmath>
#include <iostream>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/pick.h"
#include "cli/table.h"
#include "docker/errors.h"
#include "plan/project_lock.h"
#include "plan/state.h"
#include "util/parallel.h"
#include "util/strings.h"

namespace biodev::cli {
namespace {

enum class Verb { kStop, kStart, kPause, kUnpause };

const char* verb_name(Verb v) {
  switch (v) {
    case Verb::kStop:
      return "stop";
    case Verb::kStart:
      return "start";
    case Verb::kPause:
      return "pause";
    case Verb::kUnpause:
      return "unpause";
  }
  return "";
}

const char* done_state(Verb v) {
  switch (v) {
    case Verb::kStop:
      return "stopped";
    case Verb::kStart:
      return "started";
    case Verb::kPause:
      return "paused";
    case Verb::kUnpause:
      return "unpaused";
  }
  return "";
}

// The stop grace: -t when given, else the service's from the profile, else 2 s.
int stop_grace(Context& ctx, const std::string& service, int timeout) {
  if (timeout >= 0) return timeout;
  try {
    if (const auto* s = ctx.profile().find(service)) return s->stop_grace_s;
  } catch (const Error&) {
    // No loadable profile: biodev's own grace.
  }
  return 2;
}

void apply_verb(Context& ctx, Verb verb, const plan::ObservedContainer& c, int timeout) {
  docker::Client& client = ctx.client();
  switch (verb) {
    case Verb::kStop:
      client.stop_container(c.id, stop_grace(ctx, c.service, timeout));
      break;
    case Verb::kStart:
      client.start_container(c.id);
      break;
    case Verb::kPause:
      client.pause_container(c.id);
      break;
    case Verb::kUnpause:
      client.unpause_container(c.id);
      break;
  }
}

// One call per container, up to 16 at once; each outcome reported; exit 1 when one failed.
int run_lifecycle(Context& ctx, Verb verb, const std::vector<std::string>& services, int timeout) {
  const std::string project = ctx.project();
  std::optional<plan::ProjectLock> lock;
  if (verb == Verb::kStop || verb == Verb::kStart)
    lock.emplace(project, verb_name(verb), ctx.reporter(), &Context::cancelled());
  plan::ObservedState obs = plan::observe(ctx.client(), project);
  auto chosen = pick(obs, services, project);
  if (chosen.empty()) {
    std::cerr << "project " << project << ": no containers (run `biodev up`)\n";
    return 0;
  }
  std::vector<std::string> errors(chosen.size());
  parallel_for(chosen.size(), [&](size_t i) {
    const auto* c = chosen[i];
    try {
      apply_verb(ctx, verb, *c, timeout);
      ctx.reporter().event({c->service, done_state(verb), c->name});
    } catch (const std::exception& e) {
      errors[i] = "service " + c->service + ": " + first_line(e.what());
      ctx.reporter().event({c->service, "failed", first_line(e.what()), -1, 0, 0, true});
    }
  });
  ctx.reporter().finish();
  int rc = 0;
  for (const auto& e : errors)
    if (!e.empty()) {
      ctx.reporter().message(ui::Level::kError, e);
      rc = 1;
    }
  return rc;
}

Runner lifecycle(CLI::App& sub, Context& ctx, Verb verb) {
  auto services = std::make_shared<std::vector<std::string>>();
  auto timeout = std::make_shared<int>(-1);
  sub.add_option("services", *services, "Services (default: every service of the project)");
  if (verb == Verb::kStop)
    sub.add_option(
        "-t,--timeout", *timeout,
        "Seconds to wait for a clean exit before killing (default: the service's stop grace)");
  return [&ctx, services, timeout, verb] { return run_lifecycle(ctx, verb, *services, *timeout); };
}

const plan::ObservedContainer& one(const plan::ObservedState& obs, const std::string& service,
                                   const std::string& project) {
  auto list = pick(obs, {service}, project);
  for (const auto* c : list)
    if (c->state == "running") return *c;
  return *list.front();
}

std::string bytes_text(long long b) {
  if (b >= 1LL << 30) return fmt::format("{:.2f} GiB", static_cast<double>(b) / (1LL << 30));
  if (b >= 1LL << 20) return fmt::format("{:.1f} MiB", static_cast<double>(b) / (1LL << 20));
  return fmt::format("{:.1f} KiB", static_cast<double>(b) / 1024);
}

nlohmann::json stats_json(const plan::ObservedContainer& c, const docker::ContainerStats& s) {
  return {{"service", c.service},
          {"container", c.name},
          {"running", s.running},
          {"cpu_percent", std::round(s.cpu_percent * 100) / 100},
          {"memory_bytes", s.memory_bytes},
          {"memory_limit", s.memory_limit},
          {"net_rx_bytes", s.net_rx},
          {"net_tx_bytes", s.net_tx},
          {"pids", s.pids}};
}

void stats_row(Table& t, const plan::ObservedContainer& c, const docker::ContainerStats& s) {
  if (!s.running) return t.add({c.service, "-", "-", "-", "-", c.state});
  t.add({c.service, fmt::format("{:.1f}%", s.cpu_percent),
         bytes_text(s.memory_bytes) + " / " + bytes_text(s.memory_limit),
         bytes_text(s.net_rx) + " / " + bytes_text(s.net_tx), std::to_string(s.pids), c.state});
}

}  // namespace

Runner setup_stop(CLI::App& sub, Context& ctx) { return lifecycle(sub, ctx, Verb::kStop); }
Runner setup_start(CLI::App& sub, Context& ctx) { return lifecycle(sub, ctx, Verb::kStart); }
Runner setup_pause(CLI::App& sub, Context& ctx) { return lifecycle(sub, ctx, Verb::kPause); }
Runner setup_unpause(CLI::App& sub, Context& ctx) { return lifecycle(sub, ctx, Verb::kUnpause); }

Runner setup_port(CLI::App& sub, Context& ctx) {
  auto service = std::make_shared<std::string>();
  auto port = std::make_shared<std::string>();
  sub.add_option("service", *service, "Service")->required();
  sub.add_option("port", *port, "Container port, optionally with /tcp or /udp")->required();
  return [&ctx, service, port] {
    const std::string project = ctx.project();
    std::string number = *port, protocol = "tcp";
    if (size_t slash = port->find('/'); slash != std::string::npos) {
      number = port->substr(0, slash);
      protocol = port->substr(slash + 1);
    }
    char* end = nullptr;
    long want = std::strtol(number.c_str(), &end, 10);
    if (number.empty() || *end != '\0' || want < 1 || want > 65535 ||
        (protocol != "tcp" && protocol != "udp"))
      throw UsageError("port \"" + *port +
                       "\": expected a container port such as 5432 or 5432/tcp");
    plan::ObservedState obs = plan::observe(ctx.client(), project);
    const plan::ObservedContainer& c = one(obs, *service, project);
    std::vector<std::string> published;
    for (const auto& b : c.ports) {
      if (!b.host_port) continue;
      published.push_back(std::to_string(b.container_port) + "/" + b.protocol);
      if (b.container_port == want && b.protocol == protocol) {
        std::cout << obs.reach_host << ":" << b.host_port << "\n";
        return 0;
      }
    }
    throw UsageError("service " + *service + " publishes no container port " + number + "/" +
                     protocol +
                     (published.empty() ? std::string(" (it publishes none")
                                        : " (it publishes " + join(published, ", ")) +
                     (c.state == "running" ? ")" : "; its container is " + c.state + ")"));
  };
}

Runner setup_stats(CLI::App& sub, Context& ctx) {
  auto services = std::make_shared<std::vector<std::string>>();
  sub.add_option("services", *services, "Services (default: every service of the project)");
  return [&ctx, services] {
    const std::string project = ctx.project();
    docker::Client& client = ctx.client();
    plan::ObservedState obs = plan::observe(client, project);
    auto chosen = pick(obs, *services, project);
    std::vector<docker::ContainerStats> samples(chosen.size());
    std::vector<std::string> errors(chosen.size());
    parallel_for(chosen.size(), [&](size_t i) {
      if (chosen[i]->state != "running") {
        samples[i].running = false;
        return;
      }
      try {
        samples[i] = client.stats(chosen[i]->id);
      } catch (const std::exception& e) {
        errors[i] = "service " + chosen[i]->service + ": " + first_line(e.what());
      }
    });
    for (const auto& e : errors)
      if (!e.empty()) throw Error(ExitCode::kFailed, e);
    if (ctx.options.json) {
      nlohmann::json out = {{"project", project}, {"services", nlohmann::json::array()}};
      for (size_t i = 0; i < chosen.size(); ++i)
        out["services"].push_back(stats_json(*chosen[i], samples[i]));
      std::cout << out.dump() << "\n";
      return 0;
    }
    if (chosen.empty()) {
      std::cout << "project " << project << ": nothing running (run `biodev up`)\n";
      return 0;
    }
    Table t({"SERVICE", "CPU", "MEMORY / LIMIT", "NET RX / TX", "PIDS", "STATE"});
    for (size_t i = 0; i < chosen.size(); ++i) stats_row(t, *chosen[i], samples[i]);
    std::cout << t.render();
    return 0;
  };
}

Runner setup_top(CLI::App& sub, Context& ctx) {
  auto services = std::make_shared<std::vector<std::string>>();
  auto iterations = std::make_shared<int>(0);
  sub.add_option("services", *services, "Services (default: every service of the project)");
  sub.add_option("-n,--iterations", *iterations,
                 "Stop after this many screens (default: until Ctrl-C)")
      ->check(CLI::NonNegativeNumber);
  return [&ctx, services, iterations]() -> int {
    const std::string project = ctx.project();
    docker::Client& client = ctx.client();
    plan::ObservedState obs = plan::observe(client, project);
    auto chosen = pick(obs, *services, project);
    if (chosen.empty()) {
      std::cout << "project " << project << ": nothing running (run `biodev up`)\n";
      return 0;
    }
    std::mutex mu;
    std::vector<docker::ContainerStats> latest(chosen.size());
    std::vector<bool> seen(chosen.size(), false);
    // One stats stream per container; each ends with its container or with biodev.
    for (size_t i = 0; i < chosen.size(); ++i) {
      if (chosen[i]->state != "running") continue;
      std::thread([&client, &mu, &latest, &seen, i, id = chosen[i]->id] {
        try {
          client.stats_stream(id, [&](const docker::ContainerStats& s) {
            std::lock_guard lock(mu);
            latest[i] = s;
            seen[i] = true;
            return !Context::cancelled();
          });
        } catch (const std::exception&) {
          // Shown as no sample.
        }
      }).detach();
    }
    const bool tty = isatty(fileno(stdout));
    for (int n = 0; (*iterations == 0 || n < *iterations) && !Context::cancelled(); ++n) {
      std::this_thread::sleep_for(std::chrono::milliseconds(n == 0 ? 1200 : 1000));
      Table t({"SERVICE", "CPU", "MEMORY / LIMIT", "NET RX / TX", "PIDS", "STATE"});
      {
        std::lock_guard lock(mu);
        for (size_t i = 0; i < chosen.size(); ++i) {
          docker::ContainerStats s = latest[i];
          if (!seen[i]) s.running = false;
          stats_row(t, *chosen[i], s);
        }
      }
      if (tty)
        std::cout << "\033[H\033[2J";
      else if (n > 0)
        std::cout << "\n";
      std::cout << "project " << project << "  (every second; Ctrl-C to stop)\n"
                << t.render() << std::flush;
    }
    std::cout.flush();
    // The streams wait on the engine; they hold nothing to undo.
    std::_Exit(Context::cancelled() ? Context::interrupted_exit_code() : 0);
  };
}

}  // namespace biodev::cli
