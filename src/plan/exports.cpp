#include "plan/exports.h"

#include "docker/engine_config.h"
#include "profile/validate.h"
#include "util/error.h"

namespace biodev::plan {

PublishedPorts published_ports(const ObservedState& observed) {
  PublishedPorts out;
  for (const auto& c : observed.containers) {
    if (c.state != "running") continue;
    for (const auto& p : c.ports) {
      if (!p.host_port || p.protocol != "tcp") continue;
      out[c.service][p.container_port] = {docker::reach_address(p.host_ip, observed.reach_host), p.host_port};
    }
  }
  return out;
}

std::map<std::string, std::string> running_variants(const ObservedState& observed) {
  std::map<std::string, std::string> out;
  for (const auto& c : observed.containers) out[c.service] = c.variant;
  return out;
}

std::vector<std::pair<std::string, std::string>> resolve_exports(
    const profile::Profile& profile, const PublishedPorts& ports,
    const std::map<std::string, std::string>& variants) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& e : profile.exports) {
    std::string value = e.template_;
    auto placeholders = profile::find_placeholders(e.template_);
    // Replace from the back so earlier offsets stay valid.
    for (auto it = placeholders.rbegin(); it != placeholders.rend(); ++it) {
      if (it->part == "env") {
        const profile::Service* s = profile.find(it->service);
        auto v = variants.find(it->service);
        if (s && s->offline && v != variants.end() && v->second == "offline") s = s->offline.get();
        value.replace(it->begin, it->end - it->begin, s ? s->env_value(it->env) : "");
        continue;
      }
      auto svc = ports.find(it->service);
      if (svc == ports.end())
        throw Error(ExitCode::kFailed, "export " + e.name + ": service " + it->service +
                                           " is not running (run `biodev up`)");
      auto port = svc->second.find(it->port);
      if (port == svc->second.end())
        throw Error(ExitCode::kFailed, "export " + e.name + ": service " + it->service +
                                           " publishes no port " + std::to_string(it->port));
      const auto& [host, host_port] = port->second;
      std::string text = it->part == "host"   ? host
                         : it->part == "port" ? std::to_string(host_port)
                                              : host + ":" + std::to_string(host_port);
      value.replace(it->begin, it->end - it->begin, text);
    }
    out.emplace_back(e.name, value);
  }
  return out;
}

}  // namespace biodev::plan
