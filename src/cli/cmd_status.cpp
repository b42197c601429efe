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

}  // namespace

Runner setup_status(CLI::App& sub, Context& ctx) {
  (void)sub;
  return [&ctx] {
    std::string project = ctx.project();
    docker::Client& client = ctx.client();
    plan::ObservedState obs = plan::observe(client, project);
    std::vector<std::string> order;
    try {
      order = ctx.profile().service_names();
    } catch (const profile::ProfileError&) {
    }
    for (const auto& c : obs.containers)
      if (std::find(order.begin(), order.end(), c.service) == order.end()) order.push_back(c.service);

    nlohmann::json out = {{"project", project}, {"services", nlohmann::json::array()}};
    // Shared network sandboxes: a column naming each member's sandbox and each
    // sandbox's members (a sandbox's ports are its members').
    bool shared = std::any_of(obs.containers.begin(), obs.containers.end(),
                              [](const plan::ObservedContainer& c) { return c.is_sandbox() || !c.sandbox.empty(); });
    std::vector<std::string> columns{"SERVICE", "STATE", "HEALTH", "PORTS", "CONTAINER", "IMAGE"};
    if (shared) columns.push_back("SANDBOX");
    Table t(columns);
    for (const auto& name : order) {
      auto list = obs.for_service(name);
      if (list.empty()) {
        out["services"].push_back({{"service", name}, {"state", "not created"}});
        std::vector<std::string> row{name, "not created", "", "", "", ""};
        if (shared) row.push_back("");
        t.add(row);
        continue;
      }
      for (const auto* c : list) {
        auto it = c->labels.find(labels::kStandIn);
        std::string stand_in = it != c->labels.end() ? it->second : "";
        auto sub = c->labels.find(labels::kSubstituteFor);
        std::string substitute_for = sub != c->labels.end() ? sub->second : "";
        std::string health = docker::health_from_status(c->status);
        nlohmann::json svc = {{"service", name}, {"container", c->name}, {"id", c->id.substr(0, 12)},
                              {"state", c->state}, {"health", health},
                              {"status", c->status}, {"image", c->image}, {"variant", c->variant}};
        nlohmann::json ports = nlohmann::json::array();
        for (const auto& p : c->ports)
          if (p.host_port) ports.push_back({{"host_ip", p.host_ip}, {"host_port", p.host_port}, {"container_port", p.container_port}});
        svc["ports"] = ports;
        if (!stand_in.empty()) svc["stand_in"] = stand_in;
        if (!substitute_for.empty()) svc["substitute_for"] = substitute_for;
        std::string sandbox = c->sandbox;
        if (c->is_sandbox()) {
          std::vector<std::string> members = split(c->labels.at(labels::kSandboxMembers), ',');
          svc["members"] = members;
          sandbox = "holds " + join(members, ", ");
        } else if (!c->sandbox.empty()) {
          svc["sandbox"] = c->sandbox;
        }
        out["services"].push_back(svc);
        std::string shown = name + (stand_in.empty() ? "" : " (stand-in for " + stand_in + ")");
        std::vector<std::string> row{shown, c->state, health, ports_text(c->ports), c->name,
                                     profile::substitution_text(substitute_for, c->image)};
        if (shared) row.push_back(sandbox);
        t.add(row);
      }
    }
    if (ctx.options.json) std::cout << out.dump() << "\n";
    else if (obs.containers.empty()) std::cout << "project " << project << ": nothing running (run `biodev up`)\n";
    else std::cout << t.render();
    return 0;
  };
}

}  // namespace biodev::cli
