#include "profile/print.h"

#include <yaml-cpp/yaml.h>

#include "util/strings.h"

namespace biodev::profile {

using json = nlohmann::ordered_json;

std::string ms_string(long long ms) {
  if (ms % 60000 == 0 && ms >= 60000) return std::to_string(ms / 60000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::string bytes_string(long long b) {
  if (b % (1LL << 30) == 0) return std::to_string(b >> 30) + "g";
  if (b % (1LL << 20) == 0) return std::to_string(b >> 20) + "m";
  if (b % (1LL << 10) == 0) return std::to_string(b >> 10) + "k";
  return std::to_string(b);
}

json probe_json(const ProbeSpec& p) {
  json j = {{"type", to_string(p.kind)}};
  if (p.port) j["port"] = p.port;
  if (p.kind == ProbeSpec::Kind::kHttp) {
    j["path"] = p.path;
    j["status"] = p.expect_status;
  }
  if (!p.command.empty()) j["command"] = p.command;
  if (!p.user.empty()) j["user"] = p.user;
  if (!p.database.empty()) j["database"] = p.database;
  j["timeout"] = ms_string(p.timeout_ms);
  return j;
}

namespace {

json mount_json(const MountSpec& m) {
  static const char* types[] = {"bind", "volume", "tmpfs"};
  json j = {{"type", types[static_cast<int>(m.type)]}, {"target", m.target}};
  if (!m.source.empty()) j["source"] = m.source;
  if (m.read_only) j["read_only"] = true;
  if (m.tmpfs_size) j["size"] = bytes_string(m.tmpfs_size);
  return j;
}

}  // namespace

json seed_json(const SeedSpec& s, const Redactor& redact) {
  static const char* kinds[] = {"none", "postgres", "s3", "qdrant"};
  json j = {{"type", kinds[static_cast<int>(s.kind)]}};
  if (!s.scripts_dir.empty()) j["scripts"] = s.scripts_dir;
  for (const auto& b : s.buckets) j["buckets"].push_back(b.name);
  if (!s.access_key.empty()) {
    j["access_key"] = redact(s.access_key);
    j["secret_key"] = kRedacted;
    j["region"] = s.region;
  }
  for (const auto& c : s.collections)
    j["collections"].push_back({{"name", c.name}, {"size", c.size}, {"distance", c.distance}});
  return j;
}

json service_to_json(const Service& s, const Redactor& redact) {
  json j = json::object();
  if (!s.image.empty() || !s.build) j["image"] = s.image;
  if (s.build) {
    json b = {{"context", s.build->context}};
    if (!s.build->dockerfile_inline.empty()) b["dockerfile_inline"] = s.build->dockerfile_inline;
    else b["dockerfile"] = s.build->dockerfile;
    for (const auto& [k, v] : s.build->args) b["args"][k] = is_secret_name(k) ? kRedacted : redact(v);
    if (!s.build->target.empty()) b["target"] = s.build->target;
    j["build"] = b;
  }
  if (!s.stand_in.empty()) j["stand_in"] = s.stand_in;
  if (!s.entrypoint.empty()) j["entrypoint"] = s.entrypoint;
  if (!s.command.empty()) {
    json cmd = json::array();
    for (const auto& c : s.command) cmd.push_back(redact(c));
    j["command"] = cmd;
  }
  if (!s.env.empty()) {
    json env = json::object();
    for (const auto& [k, v] : s.env) env[k] = is_secret_name(k) ? kRedacted : redact(v);
    j["env"] = env;
  }
  for (const auto& p : s.ports)
    j["ports"].push_back(port_string(p));
  for (const auto& m : s.mounts) j["mounts"].push_back(mount_json(m));
  for (const auto& n : s.networks) {
    json a = json::object();
    if (!n.aliases.empty()) a["aliases"] = n.aliases;
    j["networks"][n.network] = a;
  }
  for (const auto& d : s.depends_on) j["depends_on"][d.service] = {{"condition", to_string(d.condition)}};
  if (s.ready.kind != ProbeSpec::Kind::kNone) j["ready"] = probe_json(s.ready);
  if (s.healthcheck) {
    j["healthcheck"] = {{"test", s.healthcheck->test},
                        {"interval", ms_string(s.healthcheck->interval_ms)},
                        {"timeout", ms_string(s.healthcheck->timeout_ms)},
                        {"retries", s.healthcheck->retries}};
  }
  if (s.resources.cpus) j["resources"]["cpus"] = s.resources.cpus;
  if (s.resources.memory_bytes) j["resources"]["memory"] = bytes_string(s.resources.memory_bytes);
  if (!s.pool.empty()) j["pool"] = s.pool;
  if (!s.user.empty()) j["user"] = s.user;
  if (!s.working_dir.empty()) j["working_dir"] = s.working_dir;
  if (!s.labels.empty()) j["labels"] = s.labels;
  if (!s.init) j["init"] = false;
  if (!s.required) j["required"] = false;
  if (s.restart != "no") j["restart"] = s.restart;
  if (!s.watch.empty() && s.watch_restart == Service::WatchRestart::kContainer)
    j["watch"] = {{"paths", s.watch}, {"restart", "container"}};
  else if (!s.watch.empty())
    j["watch"] = s.watch;
  for (const auto& r : s.routes) {
    std::string target = r.service + ":" + std::to_string(r.port);
    if (r.strip_prefix) j["routes"][r.prefix] = {{"target", target}, {"strip_prefix", true}};
    else j["routes"][r.prefix] = target;
  }
  if (s.gateway) j["gateway"] = true;
  if (s.seed.kind != SeedSpec::Kind::kNone) j["seed"] = seed_json(s.seed, redact);
  j["stop_grace"] = std::to_string(s.stop_grace_s) + "s";
  return j;
}

json to_json(const Profile& p, const Redactor& redact) {
  json j = {{"profile", p.name}, {"source", p.source}, {"project", p.project}};
  for (const auto& n : p.networks) j["networks"][n.name] = n.internal ? json{{"internal", true}} : json::object();
  for (const auto& v : p.volumes) j["volumes"][v.name] = json::object();
  j["services"] = json::object();
  for (const auto& s : p.services) {
    j["services"][s.name] = service_to_json(s, redact);
    if (s.offline) {
      // Only what the offline variant changes, as the profile writes it.
      json base = j["services"][s.name], off = service_to_json(*s.offline, redact), diff = json::object();
      for (auto it = off.begin(); it != off.end(); ++it)
        if (!base.contains(it.key()) || base[it.key()] != it.value()) diff[it.key()] = it.value();
      j["services"][s.name]["offline"] = diff;
    }
  }
  for (const auto& e : p.exports) j["exports"][e.name] = redact(e.template_);
  if (p.shared_sandbox) j["shared_sandbox"] = true;
  return j;
}

namespace {

// yaml-cpp 0.7 leaves ":9000" unquoted inside a flow sequence, which no YAML reader
// accepts back; strings with flow indicators are quoted there.
bool needs_quotes_in_flow(const std::string& s) {
  return s.find_first_of(":,[]{}#&*!|>'\"%@`") != std::string::npos;
}

// A string a YAML reader would take for something else ("true", "no", "1.36", ""),
// which yaml-cpp prints plain.
bool reads_as_non_string(const std::string& s) {
  static const char* const words[] = {"true", "false", "yes", "no", "on", "off", "y", "n", "null", "~"};
  std::string lower = to_lower(s);
  for (const char* w : words)
    if (lower == w) return true;
  if (s.empty()) return true;
  // "12:30" is a base-60 number to YAML 1.1 readers (PyYAML, docker-compose 1.29).
  if (s.find(':') != std::string::npos && s.find_first_not_of("0123456789:") == std::string::npos) return true;
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  return end && *end == '\0';
}

void emit(YAML::Emitter& out, const json& j, bool in_flow = false) {
  if (j.is_object()) {
    if (j.empty()) {
      out << YAML::Flow << YAML::BeginMap << YAML::EndMap;
      return;
    }
    out << YAML::BeginMap;
    for (auto it = j.begin(); it != j.end(); ++it) {
      out << YAML::Key << it.key() << YAML::Value;
      emit(out, it.value());
    }
    out << YAML::EndMap;
  } else if (j.is_array()) {
    bool flat = std::all_of(j.begin(), j.end(), [](const json& x) { return x.is_primitive(); });
    bool flow = flat && j.size() <= 8;
    out << (flow ? YAML::Flow : YAML::Block) << YAML::BeginSeq;
    for (const auto& x : j) emit(out, x, flow);
    out << YAML::EndSeq;
  } else if (j.is_string()) {
    const std::string& str = j.get_ref<const std::string&>();
    if ((in_flow && needs_quotes_in_flow(str)) || reads_as_non_string(str)) out << YAML::DoubleQuoted;
    out << str;
  } else if (j.is_null()) {
    out << YAML::Null;
  } else {
    out << j.dump();
  }
}

}  // namespace

std::string json_to_yaml(const json& j) {
  YAML::Emitter out;
  emit(out, j);
  return std::string(out.c_str()) + "\n";
}

}  // namespace biodev::profile
