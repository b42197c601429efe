// Client core (negotiation, request plumbing) and the container endpoints. Networks,
// volumes, images, exec and events are in client_resources.cpp.
#include "docker/client.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <charconv>

#include "docker/client_json.h"
#include "docker/errors.h"
#include "docker/podman.h"

namespace biodev::docker {

using detail::Query;

// ---------------------------------------------------------------------------------------
// Shared JSON and query helpers (declared in client_json.h)

namespace detail {

Query& Query::add(std::string_view key, std::string_view value) {
  return add_encoded(key, url_encode(value));
}

Query& Query::add_encoded(std::string_view key, std::string_view value) {
  text_ += text_.empty() ? '?' : '&';
  text_ += key;
  text_ += '=';
  text_ += value;
  return *this;
}

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::map<std::string, std::string> string_map(const json& j, const char* key) {
  std::map<std::string, std::string> out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_object()) return out;
  for (const auto& [k, v] : it->items()) {
    if (v.is_string()) out.emplace(k, v.get<std::string>());
  }
  return out;
}

std::vector<std::string> string_list(const json& j, const char* key) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const auto& v : *it) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

json parse_json(const HttpResponse& r, const std::string& what) {
  json doc = json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    throw EngineError(ErrorKind::kProtocol, r.status,
                      fmt::format("{}: the Docker engine answered with malformed JSON", what));
  }
  return doc;
}

std::string stream_error(const json& event) {
  if (!event.is_object()) return "";
  auto detail = event.find("errorDetail");
  if (detail != event.end() && detail->is_object()) {
    std::string message = str(*detail, "message");
    if (!message.empty()) return message;
  }
  std::string error = str(event, "error");
  if (error.empty() && event.contains("error")) return "unknown error";
  return error;
}

bool version_less(std::string_view a, std::string_view b) {
  auto parse = [](std::string_view v) {
    std::pair<int, int> out{-1, -1};
    auto dot = v.find('.');
    if (dot == std::string_view::npos) return out;
    std::from_chars(v.data(), v.data() + dot, out.first);
    std::from_chars(v.data() + dot + 1, v.data() + v.size(), out.second);
    return out;
  };
  return parse(a) < parse(b);
}

}  // namespace detail

std::string url_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    }
  }
  return out;
}

std::string url_decode(std::string_view s) {
  auto hex = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    int hi = s[i] == '%' && i + 2 < s.size() ? hex(s[i + 1]) : -1;
    int lo = hi >= 0 ? hex(s[i + 2]) : -1;
    if (lo < 0) {
      out += s[i];
      continue;
    }
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::string encode_filters(const Filters& filters) {
  if (filters.empty()) return "";
  json doc = json::object();
  for (const auto& [key, values] : filters) doc[key] = values;
  return url_encode(doc.dump());
}

std::string ContainerSummary::label(const std::string& key) const {
  auto it = labels.find(key);
  return it == labels.end() ? "" : it->second;
}

// ---------------------------------------------------------------------------------------
// Plumbing

namespace {
std::atomic<bool> debug_log{false};

template <typename... Args>
void debug(fmt::format_string<Args...> format, Args&&... args) {
  if (debug_log.load(std::memory_order_relaxed)) spdlog::debug(format, std::forward<Args>(args)...);
}
}  // namespace

void set_debug_log(bool on) { debug_log = on; }

Client::Client(std::shared_ptr<Transport> transport) : transport_(std::move(transport)) {}

void Client::negotiate() {
  // call_once leaves the flag unset when the lambda throws, so a failed ping is retried
  // by the next call instead of poisoning the client.
  std::call_once(negotiated_, [this] {
    HttpRequest req;
    req.target = "/_ping";
    req.timeout = 10s;
    HttpResponse r = transport_->request(req);
    check(r, "ping the Docker engine");
    std::string engine = r.header("api-version");
    // Engines too old to send the header speak at least 1.24 (as the docker CLI assumes).
    if (engine.empty()) engine = "1.24";
    api_version_ = detail::version_less(engine, kMaxApiVersion) ? engine : kMaxApiVersion;
    podman_ = podman::answers_ping(r);
    debug("{} engine API {} (using {})", podman_ ? "Podman" : "Docker", engine, api_version_);
  });
}

const std::string& Client::api_version() {
  negotiate();
  return api_version_;
}

bool Client::podman() {
  negotiate();
  return podman_;
}

std::string Client::path(const std::string& p) { return "/v" + api_version() + p; }

void Client::check(const HttpResponse& r, const std::string& what) {
  if (r.status >= 200 && r.status < 300) return;
  std::string message = message_from_body(r.body);
  if (message.empty()) message = fmt::format("HTTP {}", r.status);
  if (podman_) message = podman::explain(message);
  ErrorKind kind = podman_ ? podman::classify(r.status, message) : classify(r.status, message);
  throw EngineError(kind, r.status, fmt::format("{}: {}", what, message));
}

HttpResponse Client::call(const std::string& method, const std::string& p, const json* body,
                          std::chrono::milliseconds timeout) {
  if (method == "GET" && podman()) {
    if (auto events = podman::bounded_events_query(p)) {
      HttpResponse r = call(method, events->path, body, timeout);
      if (r.status < 300) r.body = podman::docker_events(r.body, events->until_ns);
      return r;
    }
  }
  HttpRequest req;
  req.method = method;
  req.target = path(p);
  req.timeout = timeout;
  // replace: a stray invalid UTF-8 byte in an env value must not abort the request.
  if (body) req.body = body->dump(-1, ' ', false, json::error_handler_t::replace);
  auto start = std::chrono::steady_clock::now();
  HttpResponse r = transport_->request(req);
  auto elapsed = std::chrono::steady_clock::now() - start;
  debug("{} {} -> {} in {}us", method, req.target, r.status,
        std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count());
  return r;
}

json Client::version() {
  HttpResponse r = call("GET", "/version");
  check(r, "query the Docker engine version");
  return detail::parse_json(r, "engine version");
}

EngineIdentity Client::engine() { return engine_identity(version()); }

EngineIdentity engine_identity(const json& version) {
  auto components = version.find("Components");
  if (components != version.end() && components->is_array()) {
    for (const auto& c : *components) {
      std::string name = c.is_object() ? detail::str(c, "Name") : "";
      if (name == "Podman Engine") return {"Podman", detail::str(c, "Version")};
      if (name == "Engine") return {"Docker", detail::str(c, "Version")};
    }
  }
  // Engines before Docker 17.06 list no components.
  return {"Docker", version.is_object() ? detail::str(version, "Version") : ""};
}

// ---------------------------------------------------------------------------------------
// Containers

namespace {

// The engine lists a published port once per address family ("0.0.0.0" and "::"); keep
// the IPv4 entry and drop its IPv6 twin, keeping IPv6-only bindings.
std::vector<PortBinding> parse_ports(const json& ports) {
  std::vector<PortBinding> out;
  if (!ports.is_array()) return out;
  for (bool ipv6 : {false, true}) {
    for (const auto& p : ports) {
      PortBinding b;
      b.host_ip = detail::str(p, "IP");
      if ((b.host_ip.find(':') != std::string::npos) != ipv6) continue;
      b.container_port = p.value("PrivatePort", 0);
      b.host_port = p.value("PublicPort", 0);
      b.protocol = p.value("Type", "tcp");
      bool duplicate = std::any_of(out.begin(), out.end(), [&](const PortBinding& o) {
        return o.container_port == b.container_port && o.protocol == b.protocol &&
               o.host_port == b.host_port && (ipv6 || o.host_ip == b.host_ip);
      });
      if (!duplicate) out.push_back(std::move(b));
    }
  }
  return out;
}

ContainerSummary parse_container(const json& c) {
  ContainerSummary s;
  s.id = detail::str(c, "Id");
  std::vector<std::string> names = detail::string_list(c, "Names");
  if (!names.empty()) s.name = names.front().substr(names.front().starts_with('/') ? 1 : 0);
  s.image = detail::str(c, "Image");
  s.image_id = detail::str(c, "ImageID");
  s.state = detail::str(c, "State");
  s.status = detail::str(c, "Status");
  s.labels = detail::string_map(c, "Labels");
  s.ports = parse_ports(c.value("Ports", json::array()));
  auto settings = c.find("NetworkSettings");
  if (settings != c.end() && settings->is_object()) {
    auto networks = settings->find("Networks");
    if (networks != settings->end() && networks->is_object()) {
      for (const auto& [name, endpoint] : networks->items()) {
        s.networks.push_back(name);
        if (s.ip.empty() && endpoint.is_object()) s.ip = detail::str(endpoint, "IPAddress");
      }
    }
  }
  s.created = c.value("Created", 0LL);
  return s;
}

// Podman's list in Docker's shape: short image names, and the health in Status, which
// only its own (libpod) list reports, for the running containers.
void podman_shape(Client& client, std::vector<ContainerSummary>& list, const Filters& filters) {
  bool running = false;
  for (auto& c : list) {
    c.image = podman::familiar_image_name(c.image);
    running |= c.state == "running";
  }
  if (!running) return;
  Query q;
  q.add("all", "true");
  if (!filters.empty()) q.add_encoded("filters", encode_filters(filters));
  HttpResponse r = client.call("GET", "/libpod/containers/json" + q.str());
  if (r.status >= 300) return;  // no health then, as for a container without a healthcheck
  auto health = podman::health_by_id(detail::parse_json(r, "container list"));
  for (auto& c : list)
    if (auto it = health.find(c.id); it != health.end() && c.state == "running")
      c.status = podman::status_with_health(c.status, it->second);
}

}  // namespace

std::vector<ContainerSummary> Client::list_containers(const Filters& filters, bool all) {
  Query q;
  q.add_if(all, "all", "1");
  if (!filters.empty()) q.add_encoded("filters", encode_filters(filters));
  HttpResponse r = call("GET", "/containers/json" + q.str());
  check(r, "list containers");
  std::vector<ContainerSummary> out;
  for (const auto& c : detail::parse_json(r, "container list")) out.push_back(parse_container(c));
  if (podman_) podman_shape(*this, out, filters);
  return out;
}

std::string Client::create_container(const std::string& name, const json& body_in) {
  Query q;
  q.add_if(!name.empty(), "name", name);
  // Fields older APIs reject are dropped here, as the docker CLI drops them, so the
  // planner can describe a container once for every engine.
  const json* body = &body_in;
  json trimmed;
  auto hc = body_in.find("Healthcheck");
  if (hc != body_in.end() && hc->contains("StartInterval") && detail::version_less(api_version(), "1.44")) {
    trimmed = body_in;
    trimmed["Healthcheck"].erase("StartInterval");
    body = &trimmed;
  }
  HttpResponse r = call("POST", "/containers/create" + q.str(), body);
  check(r, fmt::format("create container {}", name));
  std::string id = detail::str(detail::parse_json(r, "create container"), "Id");
  if (id.empty()) {
    throw EngineError(ErrorKind::kProtocol, r.status,
                      fmt::format("create container {}: the engine returned no Id", name));
  }
  return id;
}

std::string Client::create_container(const std::string& name, const ContainerSpec& spec) {
  return create_container(name, create_body(spec));
}

void Client::start_container(const std::string& id) {
  HttpResponse r = call("POST", "/containers/" + url_encode(id) + "/start");
  if (r.status == 304) return;  // already running
  check(r, fmt::format("start container {}", id));
}

void Client::stop_container(const std::string& id, int timeout_s) {
  // The engine waits timeout_s for a clean exit before it kills: allow for that.
  auto deadline = std::chrono::seconds(std::max(timeout_s, 0) + 30);
  HttpResponse r = call("POST", fmt::format("/containers/{}/stop?t={}", url_encode(id), timeout_s),
                        nullptr, deadline);
  if (r.status == 304) return;  // already stopped
  check(r, fmt::format("stop container {}", id));
}

void Client::kill_container(const std::string& id, const std::string& signal) {
  Query q;
  q.add("signal", signal);
  HttpResponse r = call("POST", "/containers/" + url_encode(id) + "/kill" + q.str());
  check(r, fmt::format("kill container {}", id));
}

std::string health_from_status(const std::string& status) {
  if (status.find("(healthy)") != std::string::npos) return "healthy";
  if (status.find("(unhealthy)") != std::string::npos) return "unhealthy";
  if (status.find("(health: starting)") != std::string::npos) return "starting";
  return "";
}

void Client::restart_container(const std::string& id, int timeout_s) {
  auto deadline = std::chrono::seconds(std::max(timeout_s, 0) + 30);
  HttpResponse r = call("POST", fmt::format("/containers/{}/restart?t={}", url_encode(id), timeout_s),
                        nullptr, deadline);
  check(r, fmt::format("restart container {}", id));
}

void Client::pause_container(const std::string& id) {
  HttpResponse r = call("POST", "/containers/" + url_encode(id) + "/pause");
  check(r, fmt::format("pause container {}", id));
}

void Client::unpause_container(const std::string& id) {
  HttpResponse r = call("POST", "/containers/" + url_encode(id) + "/unpause");
  check(r, fmt::format("unpause container {}", id));
}

void Client::remove_container(const std::string& id, bool force, bool volumes) {
  Query q;
  q.add_if(force, "force", "1").add_if(volumes, "v", "1");
  HttpResponse r = call("DELETE", "/containers/" + url_encode(id) + q.str());
  check(r, fmt::format("remove container {}", id));
}

void Client::rename_container(const std::string& id, const std::string& new_name) {
  Query q;
  q.add("name", new_name);
  HttpResponse r = call("POST", "/containers/" + url_encode(id) + "/rename" + q.str());
  check(r, fmt::format("rename container {} to {}", id, new_name));
}

ContainerInfo Client::inspect_container(const std::string& id) {
  HttpResponse r = call("GET", "/containers/" + url_encode(id) + "/json");
  check(r, fmt::format("inspect container {}", id));
  return decode_container_info(detail::parse_json(r, "inspect container"));
}

int Client::wait_container(const std::string& id, const std::string& condition) {
  Query q;
  q.add("condition", condition);
  // A long poll: the answer comes when the container stops, however long that takes.
  HttpResponse r = call("POST", "/containers/" + url_encode(id) + "/wait" + q.str(), nullptr, 0ms);
  check(r, fmt::format("wait for container {}", id));
  json doc = detail::parse_json(r, "wait for container");
  if (auto err = doc.find("Error"); err != doc.end() && err->is_object()) {
    std::string message = detail::str(*err, "Message");
    if (!message.empty()) debug("wait for container {}: {}", id, message);
  }
  return doc.value("StatusCode", -1);
}

void Client::logs(const std::string& id, const LogOptions& opts, bool tty,
                  const FrameSink& on_frame) {
  Query q;
  q.add("stdout", "1").add("stderr", "1");
  q.add_if(opts.follow, "follow", "1").add_if(opts.timestamps, "timestamps", "1");
  q.add("tail", opts.tail < 0 ? "all" : std::to_string(opts.tail));
  q.add_if(opts.since > 0, "since", std::to_string(opts.since));
  HttpRequest req;
  req.target = path("/containers/" + url_encode(id) + "/logs" + q.str());
  req.timeout = opts.follow ? 0ms : 30s;  // following waits for output indefinitely
  FrameDecoder decoder(on_frame);
  HttpResponse r = transport_->stream(req, [&](std::string_view chunk) {
    // A TTY container's output is one raw stream, without frame headers.
    if (tty) {
      on_frame(StreamId::kStdout, chunk);
    } else {
      decoder.feed(chunk);
    }
    return !opts.keep_going || opts.keep_going();
  });
  check(r, fmt::format("logs of container {}", id));
  if (!decoder.idle()) {
    throw EngineError(ErrorKind::kProtocol, r.status,
                      fmt::format("logs of container {}: the stream ended inside a frame", id));
  }
}

}  // namespace biodev::docker
