#include "plan/sandbox.h"

#include <algorithm>
#include <cstdlib>
#include <set>

#include "util/strings.h"

namespace biodev::plan {
namespace {

constexpr const char* kPrefix = "sandbox:";

// Why a service cannot join a shared namespace; "" when it can. The engine refuses a
// hostname, dns, extra hosts and published ports on a container that joins another's
// namespace, and a service others join must stay where they look for it.
std::string needs_own(const profile::Service& s, const std::set<std::string>& joined) {
  if (!s.network_mode.empty()) return "network_mode: " + s.network_mode;
  if (joined.count(s.name)) return "another service joins its network namespace (network_mode: service:" + s.name + ")";
  if (!s.hostname.empty() && s.hostname != s.name) return "hostname: " + s.hostname;
  if (!s.dns.empty()) return "dns: is set";
  if (!s.extra_hosts.empty()) return "extra_hosts: is set";
  for (const auto& [k, v] : s.sysctls)
    if (k.starts_with("net.")) return "sysctl " + k + " is per network namespace";
  return "";
}


std::vector<std::string> network_names(const profile::Service& s) {
  std::vector<std::string> out;
  for (const auto& n : s.networks) out.push_back(n.network);
  return out;
}

}  // namespace

std::vector<std::string> port_keys(const std::string& spec) {
  std::string proto = "tcp", ports = spec;
  if (auto slash = spec.find('/'); slash != std::string::npos) {
    proto = spec.substr(slash + 1);
    ports = spec.substr(0, slash);
  }
  auto dash = ports.find('-');
  int lo = std::atoi(ports.substr(0, dash).c_str());
  int hi = dash == std::string::npos ? lo : std::atoi(ports.substr(dash + 1).c_str());
  std::vector<std::string> out;
  for (int port = lo; port <= hi && port > 0; ++port) out.push_back(std::to_string(port) + "/" + proto);
  return out;
}

std::vector<std::string> container_ports(const profile::Service& s) {
  std::vector<std::string> out;
  for (const auto& p : s.ports) out.push_back(std::to_string(p.container_port) + "/" + p.protocol);
  for (const auto& e : s.expose)
    for (auto& key : port_keys(e)) out.push_back(std::move(key));
  using K = profile::ProbeSpec::Kind;
  if (s.ready.kind != K::kNone && s.ready.kind != K::kExec && s.ready.port > 0)
    out.push_back(std::to_string(s.ready.port) + "/tcp");
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

const SandboxGroup* SandboxGrouping::group_of(const std::string& service) const {
  for (const auto& g : groups)
    if (std::find(g.members.begin(), g.members.end(), service) != g.members.end()) return &g;
  return nullptr;
}

const SandboxGroup* SandboxGrouping::find(const std::string& key) const {
  for (const auto& g : groups)
    if (g.key == key) return &g;
  return nullptr;
}

std::string SandboxGrouping::to_string(const std::vector<std::string>& order) const {
  std::string out;
  for (const auto& g : groups)
    out += g.key + " [" + join(g.networks, ",") + "]: " + join(g.members, ", ") + "\n";
  for (const auto& s : order)
    if (auto it = separate.find(s); it != separate.end()) out += s + ": own sandbox (" + it->second + ")\n";
  return out;
}

SandboxGrouping group_sandboxes(const std::vector<const profile::Service*>& services) {
  std::set<std::string> joined;
  for (const auto* s : services)
    if (s->network_mode.starts_with("service:")) joined.insert(s->network_mode.substr(8));

  struct Forming {
    SandboxGroup group;
    std::set<std::string> network_set;
    std::set<std::string> ports;
  };
  std::vector<Forming> forming;
  SandboxGrouping out;
  for (const auto* s : services) {
    if (std::string why = needs_own(*s, joined); !why.empty()) {
      out.separate[s->name] = why;
      continue;
    }
    std::vector<std::string> nets = network_names(*s);
    std::set<std::string> net_set(nets.begin(), nets.end());
    std::vector<std::string> ports = container_ports(*s);
    Forming* home = nullptr;
    for (auto& f : forming) {
      if (f.network_set != net_set) continue;
      bool clash = std::any_of(ports.begin(), ports.end(), [&](const std::string& p) { return f.ports.count(p) > 0; });
      if (!clash) {
        home = &f;
        break;
      }
    }
    if (!home) {
      forming.push_back({{kPrefix + s->name, {}, nets}, net_set, {}});
      home = &forming.back();
    }
    home->group.members.push_back(s->name);
    home->ports.insert(ports.begin(), ports.end());
  }
  for (auto& f : forming) {
    if (f.group.members.size() > 1) {
      out.groups.push_back(std::move(f.group));
      continue;
    }
    // Alone: no other service shares its networks, or every group of them uses its ports.
    bool tier_has_group = std::any_of(forming.begin(), forming.end(), [&](const Forming& o) {
      return &o != &f && o.network_set == f.network_set;
    });
    out.separate[f.group.members.front()] =
        tier_has_group ? "its container ports are taken in every group of its networks"
                       : "no other service is on exactly its networks";
  }
  return out;
}

SandboxGrouping group_sandboxes(const profile::Profile& p) {
  std::vector<const profile::Service*> all;
  for (const auto& s : p.services) all.push_back(&s);
  return group_sandboxes(all);
}

std::string sandbox_first_member(const std::string& service) {
  return is_sandbox_key(service) ? service.substr(std::string(kPrefix).size()) : "";
}

bool is_sandbox_key(const std::string& service) { return service.starts_with(kPrefix); }

}  // namespace biodev::plan
