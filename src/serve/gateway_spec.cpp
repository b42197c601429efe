#include "serve/gateway_spec.h"

#include <nlohmann/json.hpp>

#include "util/error.h"

namespace biodev::serve {

using json = nlohmann::json;
using Kind = profile::ProbeSpec::Kind;

namespace {

// The spec's own names for probe kinds: the format must not drift if the profile's
// display names change.
constexpr std::pair<Kind, const char*> kKinds[] = {
    {Kind::kNone, "none"},         {Kind::kTcp, "tcp"},     {Kind::kHttp, "http"},
    {Kind::kPostgres, "postgres"}, {Kind::kRedis, "redis"}, {Kind::kExec, "exec"}};

const char* kind_name(Kind k) {
  for (const auto& [kind, name] : kKinds)
    if (kind == k) return name;
  return "none";
}

Kind kind_from_name(const std::string& s, const std::string& where) {
  for (const auto& [kind, name] : kKinds)
    if (s == name && kind != Kind::kExec && kind != Kind::kNone) return kind;
  throw UsageError(where + ".kind: \"" + s + "\" is not one of tcp, http, postgres, redis");
}

template <class T>
T field(const json& j, const char* key, T fallback, const std::string& where) {
  if (!j.contains(key)) return fallback;
  try {
    return j.at(key).get<T>();
  } catch (const json::exception&) {
    throw UsageError(where + "." + key + ": wrong type");
  }
}

int port_field(const json& j, const std::string& where) {
  int port = field<int>(j, "port", 0, where);
  if (port < 1 || port > 65535) throw UsageError(where + ".port: expected 1-65535");
  return port;
}

std::string required_string(const json& j, const char* key, const std::string& where) {
  auto s = field<std::string>(j, key, "", where);
  if (s.empty()) throw UsageError(where + "." + key + ": required");
  return s;
}

GatewayTarget target_from_json(const json& j, const std::string& where) {
  if (!j.is_object()) throw UsageError(where + ": expected an object");
  GatewayTarget t;
  t.name = required_string(j, "name", where);
  t.host = field<std::string>(j, "host", t.name, where);
  t.port = port_field(j, where);
  t.required = field<bool>(j, "required", true, where);
  json p = j.contains("probe") ? j["probe"] : json::object();
  std::string pw = where + ".probe";
  t.probe.kind = kind_from_name(field<std::string>(p, "kind", "tcp", pw), pw);
  t.probe.port = t.port;
  t.probe.path = field<std::string>(p, "path", "/", pw);
  t.probe.expect_status = field<int>(p, "expect_status", 200, pw);
  t.probe.user = field<std::string>(p, "user", "", pw);
  t.probe.database = field<std::string>(p, "database", "", pw);
  return t;
}

}  // namespace

void to_json(json& j, const GatewaySpec& spec) {
  json services = json::array(), routes = json::array();
  for (const auto& t : spec.services) {
    json probe = {{"kind", kind_name(t.probe.kind)}};
    if (t.probe.kind == Kind::kHttp) {
      probe["path"] = t.probe.path;
      probe["expect_status"] = t.probe.expect_status;
    }
    if (!t.probe.user.empty()) probe["user"] = t.probe.user;
    if (!t.probe.database.empty()) probe["database"] = t.probe.database;
    services.push_back({{"name", t.name},
                        {"host", t.host},
                        {"port", t.port},
                        {"required", t.required},
                        {"probe", probe}});
  }
  for (const auto& r : spec.routes) {
    json route = {{"prefix", r.prefix}, {"service", r.service}, {"host", r.host}, {"port", r.port}};
    if (r.strip_prefix) route["strip_prefix"] = true;
    routes.push_back(route);
  }
  j = {{"ttl_ms", spec.ttl_ms},
       {"probe_timeout_ms", spec.probe_timeout_ms},
       {"proxy_timeout_ms", spec.proxy_timeout_ms},
       {"services", services},
       {"routes", routes}};
}

void from_json(const json& j, GatewaySpec& spec) {
  if (!j.is_object()) throw UsageError("expected a JSON object");
  spec = GatewaySpec{};
  spec.ttl_ms = field<int>(j, "ttl_ms", spec.ttl_ms, "spec");
  spec.probe_timeout_ms = field<int>(j, "probe_timeout_ms", spec.probe_timeout_ms, "spec");
  spec.proxy_timeout_ms = field<int>(j, "proxy_timeout_ms", spec.proxy_timeout_ms, "spec");
  if (spec.ttl_ms < 0 || spec.probe_timeout_ms < 1 || spec.proxy_timeout_ms < 1)
    throw UsageError("ttl_ms must be >= 0 and the timeouts >= 1");
  const json empty = json::array();
  const json& services = j.contains("services") ? j["services"] : empty;
  const json& routes = j.contains("routes") ? j["routes"] : empty;
  if (!services.is_array() || !routes.is_array())
    throw UsageError("services and routes must be arrays");
  for (size_t i = 0; i < services.size(); ++i)
    spec.services.push_back(target_from_json(services[i], "services[" + std::to_string(i) + "]"));
  for (size_t i = 0; i < routes.size(); ++i) {
    std::string where = "routes[" + std::to_string(i) + "]";
    if (!routes[i].is_object()) throw UsageError(where + ": expected an object");
    GatewayRoute r;
    r.prefix = required_string(routes[i], "prefix", where);
    if (r.prefix.front() != '/') throw UsageError(where + ".prefix: must start with /");
    r.service = required_string(routes[i], "service", where);
    r.host = field<std::string>(routes[i], "host", r.service, where);
    r.port = port_field(routes[i], where);
    r.strip_prefix = field<bool>(routes[i], "strip_prefix", false, where);
    spec.routes.push_back(std::move(r));
  }
}

std::string gateway_spec_to_string(const GatewaySpec& spec) { return json(spec).dump(); }

GatewaySpec gateway_spec_from_string(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) throw UsageError("BIODEV_GATEWAY_SPEC: not valid JSON");
  try {
    return j.get<GatewaySpec>();
  } catch (const UsageError& e) {
    throw UsageError(std::string("BIODEV_GATEWAY_SPEC: ") + e.what());
  }
}

namespace {

int service_port(const profile::Service& s) {
  if (s.ready.port > 0) return s.ready.port;
  return s.ports.empty() ? 0 : s.ports.front().container_port;
}

}  // namespace

GatewaySpec gateway_spec_from_profile(const profile::Profile& profile,
                                      const std::string& gateway_service) {
  GatewaySpec spec;
  for (const auto& s : profile.services) {
    if (s.name == gateway_service || s.ready.kind == Kind::kNone) continue;
    int port = service_port(s);
    if (port <= 0) continue;
    GatewayTarget t;
    t.name = s.name;
    t.host = s.name;
    t.port = port;
    t.required = s.required;
    t.probe.kind = s.ready.kind == Kind::kExec ? Kind::kTcp : s.ready.kind;
    t.probe.port = port;
    t.probe.path = s.ready.path;
    t.probe.expect_status = s.ready.expect_status;
    t.probe.user = s.ready.user;
    t.probe.database = s.ready.database;
    spec.services.push_back(std::move(t));
  }
  for (const auto& s : profile.services) {
    for (const auto& r : s.routes) {
      GatewayRoute route;
      route.prefix = r.prefix;
      route.service = r.service.empty() ? s.name : r.service;
      route.host = route.service;
      const profile::Service* owner = profile.find(route.service);
      route.port = r.port > 0 ? r.port : service_port(owner ? *owner : s);
      route.strip_prefix = r.strip_prefix;
      if (route.port > 0) spec.routes.push_back(std::move(route));
    }
  }
  return spec;
}

}  // namespace biodev::serve
