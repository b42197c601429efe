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
    Table t({"SERVICE", "STATE", "HEALTH", "PORTS", "CONTAINER", "IMAGE"});
    for (const auto& name : order) {
      auto list = obs.for_service(name);
      if (list.empty()) {
        out["services"].push_back({{"service", name}, {"state", "not created"}});
        t.add({name, "not created", "", "", "", ""});
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
        out["services"].push_back(svc);
        std::string shown = name + (stand_in.empty() ? "" : " (stand-in for " + stand_in + ")");
        t.add({shown, c->state, health, ports_text(c->ports), c->name,
               profile::substitution_text(substitute_for, c->image)});
      }
    }
    if (ctx.options.json) std::cout << out.dump() << "\n";
    else if (obs.containers.empty()) std::cout << "project " << project << ": nothing running (run `biodev up`)\n";
    else std::cout << t.render();
    return 0;
  };
}

}  // namespace biodev::cli
