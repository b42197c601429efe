#include "serve/qdrant_standin.h"

#include <chrono>
#include <cstdlib>
#include <functional>
#include <map>

#include "util/error.h"
#include "util/strings.h"

namespace biodev::serve {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

std::string percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::vector<std::string> segments(std::string_view path) {
  std::vector<std::string> out;
  for (auto& part : split(path, '/'))
    if (!part.empty()) out.push_back(percent_decode(part));
  return out;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

json parse_body(const Request& req) {
  if (trim(req.body).empty()) return json::object();
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    throw QdrantError(400, "Format error in JSON body: expected a JSON object");
  return body;
}

Reply not_found(std::string_view path) {
  throw QdrantError(404,
                    "Not found: the biodev qdrant stand-in has no endpoint " + std::string(path));
}

Reply method_not_allowed(const Request& req) {
  throw QdrantError(405, "Method " + req.method + " is not allowed for " + std::string(req.path()));
}

std::string query_param(const Request& req, std::string_view key) {
  for (auto& kv : split(req.query(), '&')) {
    size_t eq = kv.find('=');
    if (std::string_view(kv).substr(0, eq) == key)
      return eq == std::string::npos ? "" : percent_decode(kv.substr(eq + 1));
  }
  return "";
}

// Qdrant's ?wait=: true waits for the change to apply; it is the default here, as
// every change is applied (and on disk) before the reply.
bool wait_param(const Request& req) { return query_param(req, "wait") != "false"; }

// The stand-in snapshot a recover `location` names: file://<snapshots dir>/<collection>/
// <snapshot>, or an http(s) URL of /collections/<collection>/snapshots/<snapshot> on any
// host (the stand-in cannot tell which addresses are its own, so it reads its own copy).
std::pair<std::string, std::string> snapshot_location(const std::string& location,
                                                      const std::string& dir) {
  std::vector<std::string> parts;
  if (starts_with(location, "file://")) {
    std::string path = location.substr(7);
    if (!dir.empty() && starts_with(path, dir + "/")) parts = segments(path.substr(dir.size()));
    if (parts.size() == 2) return {parts[0], parts[1]};
  } else if (starts_with(location, "http://") || starts_with(location, "https://")) {
    size_t path = location.find('/', location.find("://") + 3);
    if (path != std::string::npos)
      parts = segments(location.substr(path, location.find('?', path) - path));
    if (parts.size() == 4 && parts[0] == "collections" && parts[2] == "snapshots")
      return {parts[1], parts[3]};
  }
  throw QdrantError(400,
                    "Wrong input: the biodev qdrant stand-in recovers only its own "
                    "snapshots, from file://" +
                        (dir.empty() ? std::string("<snapshots dir>") : dir) +
                        "/<collection>/<snapshot> or http(s)://<host>/collections/"
                        "<collection>/snapshots/<snapshot>, not " +
                        location);
}

bool recover(QdrantStore& store, const std::string& name, const json& body) {
  json location = request_field(body, "location", json());
  if (!location.is_string())
    throw QdrantError(400, "Format error in JSON body: missing field `location`");
  auto [from, snapshot] = snapshot_location(location.get<std::string>(), store.snapshots_dir());
  json checksum = request_field(body, "checksum", "");
  return store.recover_snapshot(name, from, snapshot,
                                checksum.is_string() ? checksum.get<std::string>() : "");
}

// An uploaded snapshot: the `snapshot` part of a multipart/form-data body (as Qdrant's
// clients send it), else the raw body.
std::string uploaded_snapshot(const Request& req) {
  std::string_view type = req.header("content-type");
  size_t at = type.find("boundary=");
  if (!starts_with(type, "multipart/form-data") || at == std::string_view::npos) return req.body;
  std::string boundary = "--" + trim(type.substr(at + 9, type.find(';', at) - at - 9));
  if (boundary.size() > 4 && boundary[2] == '"')
    boundary = "--" + boundary.substr(3, boundary.size() - 4);
  for (size_t part = req.body.find(boundary); part != std::string::npos;) {
    size_t head_end = req.body.find("\r\n\r\n", part);
    size_t next = req.body.find("\r\n" + boundary, head_end);
    if (head_end == std::string::npos || next == std::string::npos) break;
    if (std::string_view(req.body).substr(part, head_end - part).find("name=\"snapshot\"") !=
        std::string_view::npos)
      return req.body.substr(head_end + 4, next - head_end - 4);
    part = next + 2;
  }
  throw QdrantError(400, "Format error in multipart body: no `snapshot` part");
}

}  // namespace

QdrantStandinConfig QdrantStandinConfig::from_env() {
  QdrantStandinConfig c;
  c.port = static_cast<int>(env_int("QDRANT__SERVICE__HTTP_PORT", c.port, 1, 65535));
  c.threads = static_cast<int>(env_int("BIODEV_SERVE_THREADS", 0, 0, 1024));
  if (const char* d = std::getenv("QDRANT__STORAGE__STORAGE_PATH"); d && *d) c.storage_dir = d;
  if (const char* d = std::getenv("QDRANT_STORAGE"); d && *d) c.storage_dir = d;
  if (const char* d = std::getenv("QDRANT__STORAGE__SNAPSHOTS_PATH"); d && *d) c.snapshots_dir = d;
  return c;
}

QdrantStandin::QdrantStandin(QdrantStore& store) : store_(store) {}

Reply QdrantStandin::handle(const Request& req) {
  auto start = Clock::now();
  std::string_view route = "other";
  Reply reply;
  auto error = [&](int status, const std::string& message) {
    json body = {{"status", {{"error", message}}}, {"time", seconds_since(start)}};
    return Reply::json(status, body.dump());
  };
  try {
    reply = dispatch(req, route);
  } catch (const QdrantError& e) {
    reply = error(e.status(), e.what());
  } catch (const json::exception& e) {  // a field of the wrong type
    reply = error(400, std::string("Format error in JSON body: ") + e.what());
  }
  metrics_.observe(route, reply.status, seconds_since(start));
  return reply;
}

namespace {

// Qdrant's success envelope; `time` is the handler's own time, as in Qdrant.
Reply ok_reply(json result, Clock::time_point start) {
  json body = {{"result", std::move(result)}, {"status", "ok"}, {"time", seconds_since(start)}};
  return Reply::json(200, body.dump());
}

// Snapshot operations answer 202 {"status":"accepted"} under ?wait=false, as Qdrant
// does (here the work is done all the same).
Reply snapshot_reply(const Request& req, json result, Clock::time_point start) {
  if (wait_param(req)) return ok_reply(std::move(result), start);
  return Reply::json(202, json{{"status", "accepted"}, {"time", seconds_since(start)}}.dump());
}

using PointsOp = std::function<json(QdrantStore&, const std::string&, const json&, bool wait)>;
struct PointsRoute {
  std::string label;  // for metrics
  PointsOp run;
};

PointsOp find_op(std::string kind) {
  return [kind](QdrantStore& s, const std::string& n, const json& b, bool) {
    return s.find(kind, n, b);
  };
}

PointsOp find_batch_op(std::string kind) {
  return [kind](QdrantStore& s, const std::string& n, const json& b, bool) {
    return s.find_batch(kind, n, b);
  };
}

PointsOp change_op(std::string operation) {
  return [operation](QdrantStore& s, const std::string& n, const json& b, bool wait) {
    return s.update_points(operation, n, b, wait);
  };
}

using Read = json (QdrantStore::*)(const std::string&, const json&) const;
PointsOp read_op(Read read) {
  return
      [read](QdrantStore& s, const std::string& n, const json& b, bool) { return (s.*read)(n, b); };
}

// "METHOD path after /points" -> route.
std::map<std::string, PointsRoute, std::less<>> make_points_routes() {
  std::map<std::string, PointsRoute, std::less<>> routes;
  auto add = [&](const std::string& method, const std::string& path, PointsOp op) {
    routes[method + " " + path] = {"/collections/{name}/points" + (path.empty() ? "" : "/" + path),
                                   std::move(op)};
  };
  add("PUT", "", change_op("upsert"));
  add("POST", "", read_op(&QdrantStore::retrieve));
  for (std::string kind : {"search", "query", "recommend"}) {
    add("POST", kind, find_op(kind));
    add("POST", kind + "/batch", find_batch_op(kind));
    add("POST", kind + "/groups", find_op(kind + "/groups"));
  }
  add("POST", "discover", find_op("discover"));
  add("POST", "discover/batch", find_batch_op("discover"));
  add("POST", "count", read_op(&QdrantStore::count));
  add("POST", "scroll", read_op(&QdrantStore::scroll));
  add("POST", "delete", change_op("delete"));
  add("POST", "payload", change_op("set_payload"));
  add("PUT", "payload", change_op("overwrite_payload"));
  add("POST", "payload/delete", change_op("delete_payload"));
  add("POST", "payload/clear", change_op("clear_payload"));
  add("PUT", "vectors", change_op("update_vectors"));
  add("POST", "vectors/delete", change_op("delete_vectors"));
  add("POST", "batch", [](QdrantStore& s, const std::string& n, const json& b, bool wait) {
    return s.batch_update(n, b, wait);
  });
  return routes;
}

}  // namespace

// GET /, the health checks, /metrics and /aliases.
Reply QdrantStandin::service_endpoint(const Request& req, const std::vector<std::string>& seg,
                                      std::string_view& route) {
  if (seg.empty()) {
    route = "/";
    return Reply::json(200, json{{"title", kQdrantStandinTitle},
                                 {"version", kQdrantStandinVersion},
                                 {"commit", "biodev-standin"}}
                                .dump());
  }
  if (seg.size() != 1) return not_found(req.path());
  if (seg[0] == "healthz" || seg[0] == "livez" || seg[0] == "readyz") {
    route = "/healthz";
    return Reply::text(200, seg[0] == "readyz" ? "all shards are ready" : "healthz check passed");
  }
  if (seg[0] == "metrics") {
    route = "/metrics";
    return Reply::text(200, metrics_.render(), kPrometheusContentType);
  }
  if (seg[0] == "aliases") return aliases_endpoint(req, seg, route);
  return not_found(req.path());
}

Reply QdrantStandin::dispatch(const Request& req, std::string_view& route) {
  auto seg = segments(req.path());
  if (seg.empty() || seg[0] != "collections") return service_endpoint(req, seg, route);
  if (seg.size() == 1) {
    route = "/collections";
    if (req.method != "GET") return method_not_allowed(req);
    return ok_reply(store_.list_collections(), Clock::now());
  }
  if (seg.size() == 2 && seg[1] == "aliases" && req.method == "POST")
    return aliases_endpoint(req, seg, route);
  if (seg.size() == 2 || (seg.size() == 3 && seg[2] == "exists"))
    return collection_endpoint(req, seg, route);
  using Endpoint =
      Reply (QdrantStandin::*)(const Request&, const std::vector<std::string>&, std::string_view&);
  // /collections/{name}/<part>...: the endpoint and the most segments it takes.
  static const std::map<std::string, std::pair<size_t, Endpoint>, std::less<>> kParts = {
      {"aliases", {3, &QdrantStandin::aliases_endpoint}},
      {"index", {4, &QdrantStandin::index_endpoint}},
      {"points", {5, &QdrantStandin::points_endpoint}},
      {"snapshots", {4, &QdrantStandin::snapshots_endpoint}}};
  auto part = kParts.find(seg[2]);
  if (part == kParts.end() || seg.size() > part->second.first) return not_found(req.path());
  return (this->*part->second.second)(req, seg, route);
}

Reply QdrantStandin::collection_endpoint(const Request& req, const std::vector<std::string>& seg,
                                         std::string_view& route) {
  auto start = Clock::now();
  const std::string& m = req.method;
  const std::string& name = seg[1];
  if (seg.size() == 3) {
    route = "/collections/{name}/exists";
    return ok_reply(json{{"exists", store_.exists(name)}}, start);
  }
  route = "/collections/{name}";
  if (m == "GET") return ok_reply(store_.collection_info(name), start);
  if (m == "PUT") {
    store_.create_collection(name, parse_body(req));
    return ok_reply(true, start);
  }
  if (m == "DELETE") return ok_reply(store_.delete_collection(name), start);
  if (m == "PATCH") return ok_reply(store_.update_collection(name, parse_body(req)), start);
  return method_not_allowed(req);
}

Reply QdrantStandin::index_endpoint(const Request& req, const std::vector<std::string>& seg,
                                    std::string_view& route) {
  auto start = Clock::now();
  const std::string& name = seg[1];
  if (seg.size() == 3) {
    route = "/collections/{name}/index";
    if (req.method != "PUT") return method_not_allowed(req);
    return ok_reply(store_.create_index(name, parse_body(req), wait_param(req)), start);
  }
  route = "/collections/{name}/index/{field}";
  if (req.method != "DELETE") return method_not_allowed(req);
  return ok_reply(store_.delete_index(name, seg[3], wait_param(req)), start);
}

Reply QdrantStandin::points_endpoint(const Request& req, const std::vector<std::string>& seg,
                                     std::string_view& route) {
  auto start = Clock::now();
  static const auto kRoutes = make_points_routes();
  const std::string& name = seg[1];
  std::string path = join(std::vector<std::string>(seg.begin() + 3, seg.end()), "/");
  if (auto it = kRoutes.find(req.method + " " + path); it != kRoutes.end()) {
    route = it->second.label;
    return ok_reply(it->second.run(store_, name, parse_body(req), wait_param(req)), start);
  }
  if (seg.size() == 4 && req.method == "GET") {
    route = "/collections/{name}/points/{id}";
    return ok_reply(store_.get_point(name, path), start);
  }
  for (const auto& [key, r] : kRoutes)
    if (key.substr(key.find(' ') + 1) == path) {
      route = r.label;
      return method_not_allowed(req);
    }
  return not_found(req.path());
}

Reply QdrantStandin::aliases_endpoint(const Request& req, const std::vector<std::string>& seg,
                                      std::string_view& route) {
  auto start = Clock::now();
  if (seg.size() == 2) {  // POST /collections/aliases
    route = "/collections/aliases";
    return ok_reply(store_.update_aliases(parse_body(req)), start);
  }
  route = seg.size() == 1 ? "/aliases" : "/collections/{name}/aliases";
  if (req.method != "GET") return method_not_allowed(req);
  return ok_reply(seg.size() == 1 ? store_.list_aliases() : store_.collection_aliases(seg[1]),
                  start);
}

Reply QdrantStandin::snapshots_endpoint(const Request& req, const std::vector<std::string>& seg,
                                        std::string_view& route) {
  auto start = Clock::now();
  const std::string& m = req.method;
  const std::string& name = seg[1];
  if (seg.size() == 3) {
    route = "/collections/{name}/snapshots";
    if (m == "POST") return snapshot_reply(req, store_.create_snapshot(name), start);
    if (m == "GET") return ok_reply(store_.list_snapshots(name), start);
    return method_not_allowed(req);
  }
  const std::string& snapshot = seg[3];
  if (snapshot == "recover" && m == "PUT") {
    route = "/collections/{name}/snapshots/recover";
    return snapshot_reply(req, recover(store_, name, parse_body(req)), start);
  }
  if (snapshot == "upload" && m == "POST") {
    route = "/collections/{name}/snapshots/upload";
    return snapshot_reply(
        req, store_.restore_snapshot(name, uploaded_snapshot(req), query_param(req, "checksum")),
        start);
  }
  route = "/collections/{name}/snapshots/{snapshot}";
  if (m == "GET")
    return Reply::text(200, store_.snapshot_data(name, snapshot), "application/octet-stream");
  if (m == "DELETE") return snapshot_reply(req, store_.delete_snapshot(name, snapshot), start);
  return method_not_allowed(req);
}

int run_qdrant_standin(const QdrantStandinConfig& config) {
  QdrantStore store(config.storage_dir, config.snapshots_dir);
  try {
    store.load();
  } catch (const Error& e) {
    log_error(e.what());
    return static_cast<int>(e.code());
  }
  QdrantStandin standin(store);
  ServerOptions opt;
  opt.host = config.host;
  opt.port = config.port;
  opt.threads = config.threads;
  Server server(opt, [&standin](const Request& r) { return standin.handle(r); });
  size_t n = store.list_collections()["collections"].size();
  std::string banner = std::string(kQdrantStandinTitle) + " (storage " + config.storage_dir + ", " +
                       std::to_string(n) + " collections)";
  return serve_until_signal(server, banner);
}

}  // namespace biodev::serve
