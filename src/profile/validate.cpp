#include "profile/validate.h"

#include <filesystem>
#include <functional>
#include <map>
#include <set>

#include "profile/errors.h"
#include "profile/interpolate.h"
#include "util/strings.h"

namespace biodev::profile {
namespace {

std::string did_you_mean(const std::string& word, const std::vector<std::string>& names) {
  std::string m = closest_match(word, names);
  return m.empty() ? "" : " (did you mean \"" + m + "\"?)";
}

void check_cycles(const Profile& p, Diagnostics& d) {
  enum class Mark { kNone, kActive, kDone };
  std::map<std::string, Mark> mark;
  std::vector<std::string> stack;
  std::function<void(const Service&)> visit = [&](const Service& s) {
    mark[s.name] = Mark::kActive;
    stack.push_back(s.name);
    for (const auto& dep : s.depends_on) {
      const Service* t = p.find(dep.service);
      if (!t) continue;
      if (mark[t->name] == Mark::kActive) {
        auto from = std::find(stack.begin(), stack.end(), t->name);
        std::vector<std::string> cycle(from, stack.end());
        cycle.push_back(t->name);
        d.add(dep.loc, "dependency cycle: " + join(cycle, " -> "));
      } else if (mark[t->name] == Mark::kNone) {
        visit(*t);
      }
    }
    stack.pop_back();
    mark[s.name] = Mark::kDone;
  };
  for (const auto& s : p.services)
    if (mark[s.name] == Mark::kNone) visit(s);
}

bool ips_overlap(const std::string& a, const std::string& b) {
  auto any = [](const std::string& ip) { return ip.empty() || ip == "0.0.0.0" || ip == "::"; };
  return a == b || any(a) || any(b);
}

void check_ports(const Profile& p, Diagnostics& d) {
  struct Claim {
    const Service* service;
    const PortSpec* port;
  };
  std::vector<Claim> claims;
  for (const auto& s : p.services) {
    for (const auto& port : s.ports) {
      if (port.host_port == 0) continue;
      for (const auto& c : claims) {
        if (c.port->host_port == port.host_port && c.port->protocol == port.protocol &&
            ips_overlap(c.port->host_ip, port.host_ip)) {
          d.add(port.loc, "host port " + port.host_ip + ":" + std::to_string(port.host_port) +
                              " of service " + s.name + " is already claimed by service " +
                              c.service->name + " at " + c.port->loc.to_string());
        }
      }
      claims.push_back({&s, &port});
    }
  }
}

void check_service(const Profile& p, const Service& s, Diagnostics& d) {
  std::vector<std::string> names = p.service_names();
  std::vector<std::string> nets, vols;
  for (const auto& n : p.networks) nets.push_back(n.name);
  for (const auto& v : p.volumes) vols.push_back(v.name);
  for (const auto& dep : s.depends_on) {
    if (dep.service == s.name) d.add(dep.loc, "service " + s.name + " depends on itself");
    else if (!p.find(dep.service))
      d.add(dep.loc, "service " + s.name + " depends on unknown service \"" + dep.service + "\"" +
                         did_you_mean(dep.service, names));
  }
  for (const auto& a : s.networks)
    if (std::find(nets.begin(), nets.end(), a.network) == nets.end())
      d.add(s.loc, "service " + s.name + " uses unknown network \"" + a.network + "\"" +
                       did_you_mean(a.network, nets));
  std::set<std::string> targets;
  for (const auto& m : s.mounts) {
    if (m.type == MountSpec::Type::kVolume &&
        std::find(vols.begin(), vols.end(), m.source) == vols.end())
      d.add(m.loc, "mount uses unknown volume \"" + m.source + "\" (declare it under volumes:)" +
                       did_you_mean(m.source, vols));
    if (!targets.insert(m.target).second)
      d.add(m.loc, "service " + s.name + " mounts two things at " + m.target);
  }
  for (const auto& r : s.routes) {
    if (!p.find(r.service))
      d.add(s.loc, "route " + r.prefix + " targets unknown service \"" + r.service + "\"" +
                       did_you_mean(r.service, names));
  }
  namespace fs = std::filesystem;
  if (s.seed.kind == SeedSpec::Kind::kPostgres && !s.seed.scripts_dir.empty() &&
      !fs::is_directory(s.seed.scripts_dir))
    d.add(s.seed.loc, "seed scripts folder " + s.seed.scripts_dir + " does not exist");
  for (const auto& dep : s.depends_on) {
    const Service* t = p.find(dep.service);
    if (t && dep.condition == DependsOn::Condition::kCompleted && t->restart == "always")
      d.add(dep.loc, "service " + dep.service + " restarts always, so it never completes");
  }
}

void check_exports(const Profile& p, Diagnostics& d) {
  for (const auto& e : p.exports) {
    for (const auto& ph : find_placeholders(e.template_)) {
      const Service* s = p.find(ph.service);
      if (ph.port == 0) {
        d.add(e.loc, "export " + e.name + ": bad placeholder; use {{service:port}}, "
                     "{{service:port.host}}, {{service:port.port}} or {{service:env:NAME}}");
      } else if (!s) {
        d.add(e.loc, "export " + e.name + " refers to unknown service \"" + ph.service + "\"" +
                         did_you_mean(ph.service, p.service_names()));
      } else if (ph.part == "env") {
        bool defined = !s->env_value(ph.env).empty() || (s->offline && !s->offline->env_value(ph.env).empty());
        if (!defined)
          d.add(e.loc, "export " + e.name + ": service " + ph.service + " sets no env " + ph.env);
      } else if (std::none_of(s->ports.begin(), s->ports.end(),
                              [&](const PortSpec& x) { return x.container_port == ph.port; })) {
        d.add(e.loc, "export " + e.name + ": service " + ph.service + " does not publish port " +
                         std::to_string(ph.port));
      }
    }
  }
}

}  // namespace

std::vector<Placeholder> find_placeholders(const std::string& tmpl) {
  std::vector<Placeholder> out;
  size_t pos = 0;
  while ((pos = tmpl.find("{{", pos)) != std::string::npos) {
    size_t close = tmpl.find("}}", pos);
    if (close == std::string::npos) {
      out.push_back({pos, tmpl.size(), "", 0, "", ""});
      break;
    }
    Placeholder ph{pos, close + 2, "", 0, "", ""};
    std::string inner = trim(tmpl.substr(pos + 2, close - pos - 2));
    size_t colon = inner.find(':');
    if (colon != std::string::npos) {
      ph.service = inner.substr(0, colon);
      std::string rest = inner.substr(colon + 1);
      if (rest.starts_with("env:") && is_valid_var_name(rest.substr(4))) {
        ph.part = "env";
        ph.env = rest.substr(4);
        ph.port = -1;
        out.push_back(ph);
        pos = close + 2;
        continue;
      }
      if (size_t dot = rest.find('.'); dot != std::string::npos) {
        ph.part = rest.substr(dot + 1);
        rest = rest.substr(0, dot);
      }
      try {
        size_t used = 0;
        ph.port = std::stoi(rest, &used);
        if (used != rest.size() || (ph.part != "" && ph.part != "host" && ph.part != "port"))
          ph.port = 0;
      } catch (...) {
        ph.port = 0;
      }
    }
    out.push_back(ph);
    pos = close + 2;
  }
  return out;
}

void validate(const Profile& p) {
  Diagnostics d;
  for (const auto& s : p.services) {
    check_service(p, s, d);
    if (s.offline) check_service(p, *s.offline, d);
  }
  check_cycles(p, d);
  check_ports(p, d);
  check_exports(p, d);
  d.throw_if_any();
}

}  // namespace biodev::profile
