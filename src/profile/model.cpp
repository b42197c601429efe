#include "profile/model.h"

namespace biodev::profile {

std::string SourceLoc::to_string() const {
  if (file.empty()) return {};
  if (line <= 0) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(col);
}

std::string port_string(const PortSpec& p) {
  std::string ip = p.host_ip.find(':') != std::string::npos ? "[" + p.host_ip + "]" : p.host_ip;
  std::string s = ip + ":" + std::to_string(p.host_port) + ":" + std::to_string(p.container_port);
  if (p.protocol != "tcp") s += "/" + p.protocol;
  return s;
}

const char* to_string(ProbeSpec::Kind kind) {
  switch (kind) {
    case ProbeSpec::Kind::kNone: return "none";
    case ProbeSpec::Kind::kTcp: return "tcp";
    case ProbeSpec::Kind::kHttp: return "http";
    case ProbeSpec::Kind::kPostgres: return "postgres";
    case ProbeSpec::Kind::kRedis: return "redis";
    case ProbeSpec::Kind::kExec: return "exec";
  }
  return "?";
}

const char* to_string(DependsOn::Condition c) {
  switch (c) {
    case DependsOn::Condition::kStarted: return "started";
    case DependsOn::Condition::kHealthy: return "healthy";
    case DependsOn::Condition::kCompleted: return "completed";
  }
  return "?";
}

std::string Service::env_value(const std::string& key) const {
  for (const auto& [k, v] : env)
    if (k == key) return v;
  return {};
}

const Service* Profile::find(const std::string& name) const {
  for (const auto& s : services)
    if (s.name == name) return &s;
  return nullptr;
}

std::vector<std::string> Profile::service_names() const {
  std::vector<std::string> out;
  for (const auto& s : services) out.push_back(s.name);
  return out;
}

}  // namespace biodev::profile
