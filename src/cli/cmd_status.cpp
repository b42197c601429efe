#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/table.h"
#include "plan/labels.h"
#include "plan/state.h"
#include "profile/errors.h"
#include "profile/substitutes.h"
#include "util/strings.h"

namespace biodev::cli {
namespace {

std::string ports_text(const std::vector<docker::PortBinding>& ports) {
  std::vector<std::string> parts;
  for (const auto& p : ports)
    if (p.host_port) parts.push_back(p.host_ip + ":" + std::to_string(p.host_port) + "->" + std::to_string(p.container_port));
  return join(parts, ", ");
}

std::string label_or_empty(const plan::ObservedContainer& c, const char* key) {
  auto it = c.labels.find(key);
  return it != c.labels.end() ? it->second : "";
}

// Services in profile order (when the profile loads), then any other service that has
// a container.
std::vector<std::string> status_order(Context& ctx, const plan::ObservedState& obs) {
  std::vector<std::string> order;
  try {
    order = ctx.profile().service_names();
  } catch (const profile::ProfileError&) {
  }
  for (const auto& c : obs.containers)
    if (std::find(order.begin(), order.end(), c.service) == order.end()) order.push_back(c.service);
  return order;
}

// The table and the JSON document, a row / an entry per container.
class StatusView {
 public:
  explicit StatusView(const std::string& project, bool shared)
      : shared_(shared), table_(columns(shared)) {
    out_ = {{"project", project}, {"services", nlohmann::json::array()}};
  }

  void add_missing(const std::string& name) {
    out_["services"].push_back({{"service", name}, {"state", "not created"}});
    std::vector<std::string> row{name, "not created", "", "", "", ""};
    if (shared_) row.push_back("");
    table_.add(row);
  }

  void add(const std::string& name, const plan::ObservedContainer& c) {
    std::string stand_in = label_or_empty(c, labels::kStandIn);
    std::string substitute_for = label_or_empty(c, labels::kSubstituteFor);
    std::string health = docker::health_from_status(c.status);
    nlohmann::json svc = {{"service", name},  {"container", c.name}, {"id", c.id.substr(0, 12)},
                          {"state", c.state}, {"health", health},    {"status", c.status},
                          {"image", c.image}, {"variant", c.variant}};
    nlohmann::json ports = nlohmann::json::array();
    for (const auto& p : c.ports)
      if (p.host_port)
        ports.push_back({{"host_ip", p.host_ip},
                         {"host_port", p.host_port},
                         {"container_port", p.container_port}});
    svc["ports"] = ports;
    if (!stand_in.empty()) svc["stand_in"] = stand_in;
    if (!substitute_for.empty()) svc["substitute_for"] = substitute_for;
    std::string sandbox = c.sandbox;
    if (c.is_sandbox()) {
      std::vector<std::string> members = split(c.labels.at(labels::kSandboxMembers), ',');
      svc["members"] = members;
      sandbox = "holds " + join(members, ", ");
    } else if (!c.sandbox.empty()) {
      svc["sandbox"] = c.sandbox;
    }
    out_["services"].push_back(svc);
    std::string shown = name + (stand_in.empty() ? "" : " (stand-in for " + stand_in + ")");
    std::vector<std::string> row{shown,  c.state,
                                 health, ports_text(c.ports),
                                 c.name, profile::substitution_text(substitute_for, c.image)};
    if (shared_) row.push_back(sandbox);
    table_.add(row);
  }

  const nlohmann::json& json() const { return out_; }
  std::string render() const { return table_.render(); }

 private:
  static std::vector<std::string> columns(bool shared) {
    std::vector<std::string> c{"SERVICE", "STATE", "HEALTH", "PORTS", "CONTAINER", "IMAGE"};
    if (shared) c.push_back("SANDBOX");
    return c;
  }
  bool shared_;
  Table table_;
  nlohmann::json out_;
};

}  // namespace

Runner setup_status(CLI::App& sub, Context& ctx) {
  (void)sub;
  return [&ctx] {
    std::string project = ctx.project();
    docker::Client& client = ctx.client();
    plan::ObservedState obs = plan::observe(client, project);
    // Shared network sandboxes: a column naming each member's sandbox and each
    // sandbox's members (a sandbox's ports are its members').
    bool shared = std::any_of(
        obs.containers.begin(), obs.containers.end(),
        [](const plan::ObservedContainer& c) { return c.is_sandbox() || !c.sandbox.empty(); });
    StatusView view(project, shared);
    for (const auto& name : status_order(ctx, obs)) {
      auto list = obs.for_service(name);
      if (list.empty()) view.add_missing(name);
      for (const auto* c : list) view.add(name, *c);
    }
    if (ctx.options.json)
      std::cout << view.json().dump() << "\n";
    else if (obs.containers.empty())
      std::cout << "project " << project << ": nothing running (run `biodev up`)\n";
    else
      std::cout << view.render();
    return 0;
  };
}

}  // namespace biodev::cli
