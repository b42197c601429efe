// The `ready`, `healthcheck`, `seed` and `routes` keys of a service.
#include "profile/builtin_files.h"
#include "profile/parse.h"
#include "profile/reader.h"
#include "util/strings.h"

namespace biodev::profile {

ProbeSpec parse_ready(const Node& n, Diagnostics& d) {
  ProbeSpec p;
  MapReader r(n, "ready", d);
  std::string type;
  if (auto* x = r.take("type")) type = read_string(*x, d, "ready.type").value_or("");
  else if (n.is_map()) d.add(n.loc, "ready needs a \"type\" (tcp, http, postgres, redis, exec or none)");
  if (type == "tcp") p.kind = ProbeSpec::Kind::kTcp;
  else if (type == "http") p.kind = ProbeSpec::Kind::kHttp;
  else if (type == "postgres") p.kind = ProbeSpec::Kind::kPostgres;
  else if (type == "redis") p.kind = ProbeSpec::Kind::kRedis;
  else if (type == "exec") p.kind = ProbeSpec::Kind::kExec;
  else if (type == "none") p.kind = ProbeSpec::Kind::kNone;
  else if (!type.empty())
    d.add(n.get("type")->loc, "ready.type must be tcp, http, postgres, redis, exec or none, not \"" +
                                  type + "\"");
  if (auto* x = r.take("port")) p.port = static_cast<int>(read_int(*x, d, "ready.port", 1, 65535).value_or(0));
  if (auto* x = r.take("path")) p.path = read_string(*x, d, "ready.path").value_or("/");
  if (auto* x = r.take("status"))
    p.expect_status = static_cast<int>(read_int(*x, d, "ready.status", 100, 599).value_or(200));
  if (auto* x = r.take("command")) {
    p.command = x->is_scalar() ? split_command(x->scalar) : read_string_list(*x, d, "ready.command");
  }
  if (auto* x = r.take("user")) p.user = read_string(*x, d, "ready.user").value_or("");
  if (auto* x = r.take("database")) p.database = read_string(*x, d, "ready.database").value_or("");
  if (auto* x = r.take("timeout"))
    p.timeout_ms = static_cast<int>(read_duration_ms(*x, d, "ready.timeout").value_or(60000));
  r.finish();
  bool needs_port = p.kind == ProbeSpec::Kind::kTcp || p.kind == ProbeSpec::Kind::kHttp ||
                    p.kind == ProbeSpec::Kind::kPostgres || p.kind == ProbeSpec::Kind::kRedis;
  // An invalid port was already reported; "needs a port" would only repeat it.
  if (needs_port && p.port == 0 && n.is_map() && !n.get("port"))
    d.add(n.loc, "ready type " + type + " needs a \"port\" (the container port to probe)");
  if (p.kind == ProbeSpec::Kind::kExec && p.command.empty())
    d.add(n.loc, "ready type exec needs a \"command\"");
  return p;
}

Healthcheck parse_healthcheck(const Node& n, Diagnostics& d, const Healthcheck& defaults) {
  Healthcheck h = defaults;
  MapReader r(n, "healthcheck", d);
  bool disabled = false;
  if (auto* x = r.take("disable")) disabled = read_bool(*x, d, "healthcheck.disable").value_or(false);
  if (auto* x = r.take("test")) {
    if (x->is_scalar()) {
      h.test = {"CMD-SHELL", x->scalar};
    } else {
      h.test = read_string_list(*x, d, "healthcheck.test");
      if (!h.test.empty() && h.test[0] != "CMD" && h.test[0] != "CMD-SHELL" && h.test[0] != "NONE")
        h.test.insert(h.test.begin(), "CMD");
    }
  } else if (n.is_map() && !disabled) {
    d.add(n.loc, "healthcheck needs a \"test\"");
  }
  if (disabled) h.test = {"NONE"};  // compose: disable the image's own healthcheck
  if (auto* x = r.take("interval")) h.interval_ms = read_duration_ms(*x, d, "interval").value_or(h.interval_ms);
  if (auto* x = r.take("timeout")) h.timeout_ms = read_duration_ms(*x, d, "timeout").value_or(h.timeout_ms);
  if (auto* x = r.take("start_period"))
    h.start_period_ms = read_duration_ms(*x, d, "start_period").value_or(0);
  if (auto* x = r.take("start_interval"))
    h.start_interval_ms = read_duration_ms(*x, d, "start_interval").value_or(0);
  if (auto* x = r.take("retries")) h.retries = static_cast<int>(read_int(*x, d, "retries", 0, 1000).value_or(h.retries));
  r.finish();
  return h;
}

namespace {

std::vector<Collection> parse_collections(const Node& n, Diagnostics& d) {
  std::vector<Collection> out;
  if (!n.is_seq()) {
    d.add(n.loc, "seed.collections must be a list");
    return out;
  }
  for (const auto& item : n.items) {
    Collection c;
    MapReader r(item, "a collection", d);
    if (auto* x = r.take("name")) c.name = read_string(*x, d, "name").value_or("");
    else d.add(item.loc, "a collection needs a \"name\"");
    if (auto* x = r.take("size")) c.size = static_cast<int>(read_int(*x, d, "size", 1, 65536).value_or(0));
    else d.add(item.loc, "a collection needs a \"size\" (vector dimension)");
    if (auto* x = r.take("distance")) {
      c.distance = read_string(*x, d, "distance").value_or("Cosine");
      if (c.distance != "Cosine" && c.distance != "Dot" && c.distance != "Euclid" &&
          c.distance != "Manhattan")
        d.add(x->loc, "distance must be Cosine, Dot, Euclid or Manhattan");
    }
    r.finish();
    out.push_back(c);
  }
  return out;
}

}  // namespace

SeedSpec parse_seed(const Node& n, const ParseContext& ctx) {
  Diagnostics& d = *ctx.diags;
  SeedSpec s;
  s.loc = n.loc;
  MapReader r(n, "seed", d);
  std::optional<std::string> type;
  const Node* type_node = r.take("type");
  if (type_node) type = read_string(*type_node, d, "seed.type");
  else if (n.is_map()) d.add(n.loc, "seed needs a \"type\": postgres, s3 or qdrant");
  if (type == "postgres") s.kind = SeedSpec::Kind::kPostgres;
  else if (type == "s3") s.kind = SeedSpec::Kind::kS3;
  else if (type == "qdrant") s.kind = SeedSpec::Kind::kQdrant;
  else if (type)
    d.add(type_node->loc, "seed.type must be postgres, s3 or qdrant, not \"" + *type + "\"");
  if (auto* x = r.take("scripts")) {
    std::string rel = read_string(*x, d, "seed.scripts").value_or("");
    s.scripts_dir = resolve_host_path(ctx.project_dir, rel);
    s.loc = x->loc;
  }
  if (auto* x = r.take("buckets"))
    for (auto& b : read_string_list(*x, d, "seed.buckets")) s.buckets.push_back({b});
  if (auto* x = r.take("access_key")) s.access_key = read_string(*x, d, "access_key").value_or("");
  if (auto* x = r.take("secret_key")) s.secret_key = read_string(*x, d, "secret_key").value_or("");
  if (auto* x = r.take("region")) s.region = read_string(*x, d, "region").value_or("us-east-1");
  if (auto* x = r.take("collections")) s.collections = parse_collections(*x, d);
  r.finish();
  if (s.kind == SeedSpec::Kind::kPostgres && s.scripts_dir.empty())
    d.add(n.loc, "a postgres seed needs \"scripts\" (a folder of .sql/.sh files)");
  if (s.kind == SeedSpec::Kind::kS3 && (s.access_key.empty() || s.secret_key.empty()))
    d.add(n.loc, "an s3 seed needs \"access_key\" and \"secret_key\"");
  if (s.kind != SeedSpec::Kind::kS3 && !s.buckets.empty())
    d.add(n.loc, "\"buckets\" belongs to an s3 seed");
  if (s.kind != SeedSpec::Kind::kQdrant && !s.collections.empty())
    d.add(n.loc, "\"collections\" belongs to a qdrant seed");
  return s;
}

std::vector<Route> parse_routes(const Node& n, Diagnostics& d) {
  std::vector<Route> out;
  if (!n.is_map()) {
    d.add(n.loc, "routes must be a mapping of path prefix to service:port");
    return out;
  }
  for (size_t i = 0; i < n.entries.size(); ++i) {
    const auto& [prefix, value] = n.entries[i];
    Route route{prefix, "", 0, false};
    std::optional<std::string> target;
    const Node* target_node = &value;
    if (value.is_map()) {
      MapReader r(value, "route " + prefix, d);
      if ((target_node = r.take("target"))) target = read_string(*target_node, d, "target");
      else d.add(value.loc, "route " + prefix + " needs a \"target\" (service:port)");
      if (auto* x = r.take("strip_prefix")) route.strip_prefix = read_bool(*x, d, "strip_prefix").value_or(false);
      r.finish();
    } else {
      target = read_string(value, d, "route " + prefix);
    }
    if (!target) continue;
    size_t colon = target->rfind(':');
    if (colon != std::string::npos) {
      route.service = target->substr(0, colon);
      try {
        size_t used = 0;
        route.port = std::stoi(target->substr(colon + 1), &used);
        if (used != target->size() - colon - 1) route.port = 0;
      } catch (...) {
        route.port = 0;
      }
    }
    if (!prefix.starts_with("/")) d.add(n.key_locs[i], "route prefix must start with /");
    if (route.port <= 0 || route.port > 65535)
      d.add(target_node->loc, "route target must be service:port, not \"" + *target + "\"");
    out.push_back(route);
  }
  return out;
}

}  // namespace biodev::profile
