#include "serve/qdrant_standin.h"

#include <chrono>
#include <cstdlib>
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

// Qdrant's ?wait=: true waits for the change to apply; it is the default here, as
// every change is applied (and on disk) before the reply.
bool wait_param(const Request& req) {
  for (auto& kv : split(req.query(), '&'))
    if (kv == "wait=false") return false;
  return true;
}

}  // namespace

QdrantStandinConfig QdrantStandinConfig::from_env() {
  QdrantStandinConfig c;
  c.port = static_cast<int>(env_int("QDRANT__SERVICE__HTTP_PORT", c.port, 1, 65535));
  c.threads = static_cast<int>(env_int("BIODEV_SERVE_THREADS", 0, 0, 1024));
  if (const char* d = std::getenv("QDRANT__STORAGE__STORAGE_PATH"); d && *d) c.storage_dir = d;
  if (const char* d = std::getenv("QDRANT_STORAGE"); d && *d) c.storage_dir = d;
  return c;
}

QdrantStandin::QdrantStandin(QdrantStore& store) : store_(store) {}

Reply QdrantStandin::handle(const Request& req) {
  auto start = Clock::now();
  std::string_view route = "other";
  Reply reply;
  try {
    reply = dispatch(req, route);
  } catch (const QdrantError& e) {
    json body = {{"status", {{"error", e.what()}}}, {"time", seconds_since(start)}};
    reply = Reply::json(e.status(), body.dump());
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

}  // namespace

Reply QdrantStandin::dispatch(const Request& req, std::string_view& route) {
  auto seg = segments(req.path());
  if (seg.empty()) {
    route = "/";
    return Reply::json(200, json{{"title", kQdrantStandinTitle},
                                 {"version", kQdrantStandinVersion},
                                 {"commit", "biodev-standin"}}
                                .dump());
  }
  if (seg.size() == 1 && (seg[0] == "healthz" || seg[0] == "livez" || seg[0] == "readyz")) {
    route = "/healthz";
    return Reply::text(200, seg[0] == "readyz" ? "all shards are ready" : "healthz check passed");
  }
  if (seg.size() == 1 && seg[0] == "metrics") {
    route = "/metrics";
    return Reply::text(200, metrics_.render(), kPrometheusContentType);
  }
  if (seg[0] != "collections") return not_found(req.path());
  if (seg.size() == 1) {
    route = "/collections";
    if (req.method != "GET") return method_not_allowed(req);
    return ok_reply(store_.list_collections(), Clock::now());
  }
  if (seg.size() <= 3 && (seg.size() == 2 || seg[2] == "exists"))
    return collection_endpoint(req, seg, route);
  if (seg[2] == "index" && seg.size() <= 4) return index_endpoint(req, seg, route);
  if (seg[2] == "points" && seg.size() <= 4) return points_endpoint(req, seg, route);
  return not_found(req.path());
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
  if (m == "PATCH") {  // parameter tuning: nothing to tune here, but the name must exist
    store_.collection_info(name);
    return ok_reply(true, start);
  }
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
  const std::string& m = req.method;
  const std::string& name = seg[1];
  if (seg.size() == 3) {
    route = "/collections/{name}/points";
    if (m == "PUT") return ok_reply(store_.upsert(name, parse_body(req)), start);
    if (m == "POST") return ok_reply(store_.retrieve(name, parse_body(req)), start);
    return method_not_allowed(req);
  }
  const std::string& op = seg[3];
  if (m == "GET") {
    route = "/collections/{name}/points/{id}";
    return ok_reply(store_.get_point(name, op), start);
  }
  if (m != "POST") return method_not_allowed(req);
  using Op = json (*)(QdrantStore&, const std::string&, const json&);
  static const std::map<std::string, std::pair<std::string, Op>, std::less<>> kOps = {
      {"search",
       {"/collections/{name}/points/search",
        [](QdrantStore& s, const std::string& n, const json& b) { return s.search(n, b); }}},
      {"query",
       {"/collections/{name}/points/query",
        [](QdrantStore& s, const std::string& n, const json& b) { return s.query(n, b); }}},
      {"count",
       {"/collections/{name}/points/count",
        [](QdrantStore& s, const std::string& n, const json& b) { return s.count(n, b); }}},
      {"scroll",
       {"/collections/{name}/points/scroll",
        [](QdrantStore& s, const std::string& n, const json& b) { return s.scroll(n, b); }}},
      {"delete",
       {"/collections/{name}/points/delete", [](QdrantStore& s, const std::string& n,
                                                const json& b) { return s.delete_points(n, b); }}}};
  auto it = kOps.find(op);
  if (it == kOps.end()) return not_found(req.path());
  route = it->second.first;
  return ok_reply(it->second.second(store_, name, parse_body(req)), start);
}

int run_qdrant_standin(const QdrantStandinConfig& config) {
  QdrantStore store(config.storage_dir);
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
