#include "dashboard/view.h"

#include <algorithm>

#include "plan/labels.h"

namespace biodev::dashboard {

ServiceView* StackView::find(const std::string& service) {
  for (auto& s : services)
    if (s.service == service) return &s;
  return nullptr;
}

ServiceView* StackView::find_container(const std::string& id) {
  for (auto& s : services)
    if (!s.id.empty() && s.id == id) return &s;
  return nullptr;
}

namespace {

std::string label(const plan::ObservedContainer& c, const char* key) {
  auto it = c.labels.find(key);
  return it == c.labels.end() ? "" : it->second;
}

ServiceView service_view(const plan::ObservedContainer& c, const std::string& reach_host) {
  ServiceView v;
  v.service = c.service;
  v.container = c.name;
  v.id = c.id;
  v.state = c.state;
  v.health = docker::health_from_status(c.status);
  v.image = c.image;
  v.variant = c.variant;
  v.stand_in = label(c, labels::kStandIn);
  v.substitute_for = label(c, labels::kSubstituteFor);
  for (const auto& p : c.ports)
    if (p.host_port) v.ports.push_back({p.container_port, reach_host, p.host_port});
  std::sort(v.ports.begin(), v.ports.end(), [](const PortView& a, const PortView& b) {
    return a.container_port < b.container_port;
  });
  v.ports.erase(std::unique(v.ports.begin(), v.ports.end(),
                            [](const PortView& a, const PortView& b) {
                              return a.container_port == b.container_port &&
                                     a.host_port == b.host_port;
                            }),
                v.ports.end());
  return v;
}

}  // namespace

StackView view_from(const plan::ObservedState& obs, const std::string& project,
                    const std::vector<std::string>& order, const StackView* previous) {
  StackView view;
  view.project = project;
  view.engine_up = true;
  std::vector<std::string> names = order;
  for (const auto& c : obs.containers)
    if (std::find(names.begin(), names.end(), c.service) == names.end()) names.push_back(c.service);
  for (const auto& name : names) {
    auto list = obs.for_service(name);
    ServiceView v;
    v.service = name;
    // Several containers of one service (a replaced one not yet gone): the running one.
    const plan::ObservedContainer* chosen = nullptr;
    for (const auto* c : list)
      if (!chosen || (c->state == "running" && chosen->state != "running")) chosen = c;
    if (chosen) v = service_view(*chosen, obs.reach_host);
    if (previous) {
      for (const auto& old : previous->services)
        if (old.service == name) {
          v.seed = old.seed;
          v.starts = old.starts;
          if (v.state != "running" && v.id == old.id) v.exit_code = old.exit_code;
        }
    }
    view.services.push_back(std::move(v));
  }
  return view;
}

EventEffect apply_event(StackView& view, const docker::ContainerEvent& e) {
  ServiceView* s = view.find_container(e.id);
  const std::string service = e.attribute(labels::kService);
  if (!s) {
    // A container the snapshot did not have (just created, or replaced): look again.
    if (e.action == "create" || e.action == "start" || e.action == "rename")
      return EventEffect::kRefresh;
    return EventEffect::kNone;
  }
  if (const std::string h = e.health(); !h.empty()) {
    if (s->health == h) return EventEffect::kNone;
    s->health = h;
    return EventEffect::kChanged;
  }
  const std::string& a = e.action;
  if (a == "start" || a == "restart") {
    s->state = "running";
    s->exit_code.clear();
    if (!s->health.empty()) s->health = "starting";
    if (a == "start") ++s->starts;
    return EventEffect::kRefresh;  // engine-picked host ports can change with every start
  }
  if (a == "die") {
    s->state = "exited";
    s->exit_code = e.attribute("exitCode");
    if (!s->health.empty()) s->health = "unhealthy";
    return EventEffect::kChanged;
  }
  if (a == "pause") {
    s->state = "paused";
    return EventEffect::kChanged;
  }
  if (a == "unpause") {
    s->state = "running";
    return EventEffect::kChanged;
  }
  if (a == "destroy") {
    ServiceView empty;
    empty.service = s->service;
    empty.seed = s->seed;
    *s = std::move(empty);
    return EventEffect::kRefresh;
  }
  if (a == "create" || a == "rename") return EventEffect::kRefresh;
  return EventEffect::kNone;
}

nlohmann::json to_json(const StackView& view) {
  nlohmann::json services = nlohmann::json::array();
  for (const auto& s : view.services) {
    nlohmann::json ports = nlohmann::json::array();
    for (const auto& p : s.ports)
      ports.push_back({{"container_port", p.container_port},
                       {"host_port", p.host_port},
                       {"address", p.host + ":" + std::to_string(p.host_port)},
                       {"url", "http://" + p.host + ":" + std::to_string(p.host_port) + "/"}});
    services.push_back({{"service", s.service},
                        {"container", s.container},
                        {"id", s.id.substr(0, 12)},
                        {"state", s.state},
                        {"health", s.health},
                        {"image", s.image},
                        {"variant", s.variant},
                        {"stand_in", s.stand_in},
                        {"substitute_for", s.substitute_for},
                        {"ports", ports},
                        {"exit_code", s.exit_code},
                        {"starts", s.starts},
                        {"seed", s.seed}});
  }
  return {{"project", view.project},
          {"engine", {{"up", view.engine_up}, {"message", view.engine_message}}},
          {"services", services}};
}

std::string sse_frame(const std::string& event, const std::string& data) {
  std::string out = "event: " + event + "\n";
  size_t start = 0;
  while (true) {
    size_t nl = data.find('\n', start);
    std::string_view line = std::string_view(data).substr(
        start, nl == std::string::npos ? std::string::npos : nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out += "data: ";
    out += line;
    out += "\n";
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return out + "\n";
}

}  // namespace biodev::dashboard
