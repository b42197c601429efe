// Client endpoints for networks, volumes, images, exec and events.
#include <fmt/format.h>
#include <openssl/evp.h>
#include <sys/socket.h>

#include <cctype>
#include <thread>

#include "docker/client.h"
#include "docker/client_json.h"
#include "docker/errors.h"
#include "docker/podman.h"

namespace biodev::docker {

using detail::Query;

namespace {

constexpr std::chrono::milliseconds kPullIdle = std::chrono::minutes(5);
constexpr size_t kExecReadChunk = 64 * 1024;

bool success(const HttpResponse& r) { return r.status >= 200 && r.status < 300; }

std::string filters_query(const Filters& filters) {
  Query q;
  if (!filters.empty()) q.add_encoded("filters", encode_filters(filters));
  return q.str();
}

}  // namespace

std::pair<std::string, std::string> split_image_ref(std::string_view ref) {
  std::string_view name = ref;
  std::string_view digest;
  if (auto at = ref.find('@'); at != std::string_view::npos) {
    name = ref.substr(0, at);
    digest = ref.substr(at + 1);
  }
  // A tag is a ':' after the last '/'; an earlier ':' belongs to a registry host:port.
  std::string_view tag;
  auto slash = name.rfind('/');
  auto colon = name.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    tag = name.substr(colon + 1);
    name = name.substr(0, colon);
  }
  if (!digest.empty()) return {std::string(name), std::string(digest)};  // digest wins
  return {std::string(name), tag.empty() ? "latest" : std::string(tag)};
}

// ---------------------------------------------------------------------------------------
// Networks

std::vector<NetworkSummary> Client::list_networks(const Filters& filters) {
  HttpResponse r = call("GET", "/networks" + filters_query(filters));
  check(r, "list networks");
  std::vector<NetworkSummary> out;
  for (const auto& n : detail::parse_json(r, "network list")) {
    out.push_back({detail::str(n, "Id"), detail::str(n, "Name"), detail::string_map(n, "Labels"),
                   detail::str(n, "Created"), {}});
  }
  return out;
}

std::string Client::create_network(const std::string& name, const json& body) {
  json request = body.is_object() ? body : json::object();
  request["Name"] = name;
  // Before API 1.44 the engine would otherwise create a second network of the same name.
  if (detail::version_less(api_version(), "1.44") && !request.contains("CheckDuplicate")) {
    request["CheckDuplicate"] = true;
  }
  HttpResponse r = call("POST", "/networks/create", &request);
  check(r, fmt::format("create network {}", name));
  return detail::str(detail::parse_json(r, "create network"), "Id");
}

std::string Client::create_network(const NetworkSpec& spec) { return create_network(spec.name, create_body(spec)); }

void Client::remove_network(const std::string& id) {
  HttpResponse r = call("DELETE", "/networks/" + url_encode(id));
  check(r, fmt::format("remove network {}", id));
}

void Client::connect_network(const std::string& network, const std::string& container,
                             const std::vector<std::string>& aliases) {
  json body = {{"Container", container}, {"EndpointConfig", {{"Aliases", aliases}}}};
  HttpResponse r = call("POST", "/networks/" + url_encode(network) + "/connect", &body);
  check(r, fmt::format("connect container {} to network {}", container, network));
}

void Client::disconnect_network(const std::string& network, const std::string& container, bool force) {
  json body = {{"Container", container}, {"Force", force}};
  HttpResponse r = call("POST", "/networks/" + url_encode(network) + "/disconnect", &body);
  check(r, fmt::format("disconnect container {} from network {}", container, network));
}

NetworkSummary Client::inspect_network(const std::string& id) {
  HttpResponse r = call("GET", "/networks/" + url_encode(id));
  check(r, fmt::format("inspect network {}", id));
  json n = detail::parse_json(r, "inspect network");
  NetworkSummary out{
      detail::str(n, "Id"), detail::str(n, "Name"), detail::string_map(n, "Labels"), {}};
  if (auto containers = n.find("Containers"); containers != n.end() && containers->is_object()) {
    for (const auto& [container_id, endpoint] : containers->items()) {
      out.endpoints.push_back({container_id, endpoint.is_object() ? detail::str(endpoint, "Name") : ""});
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Volumes

std::vector<VolumeSummary> Client::list_volumes(const Filters& filters) {
  HttpResponse r = call("GET", "/volumes" + filters_query(filters));
  check(r, "list volumes");
  json doc = detail::parse_json(r, "volume list");
  std::vector<VolumeSummary> out;
  if (auto volumes = doc.find("Volumes"); volumes != doc.end() && volumes->is_array()) {
    for (const auto& v : *volumes) {
      out.push_back(
          {detail::str(v, "Name"), detail::string_map(v, "Labels"), detail::str(v, "Mountpoint")});
    }
  }
  return out;
}

void Client::create_volume(const std::string& name, const std::map<std::string, std::string>& labels,
                           const std::string& driver, const std::map<std::string, std::string>& driver_opts) {
  json body = {{"Name", name}, {"Labels", labels}};
  if (!driver.empty()) body["Driver"] = driver;
  if (!driver_opts.empty()) body["DriverOpts"] = driver_opts;
  HttpResponse r = call("POST", "/volumes/create", &body);
  check(r, fmt::format("create volume {}", name));
}

namespace {
bool exists(Client& c, const std::string& what, const std::string& path) {
  HttpResponse r = c.call("GET", path);
  if (r.status == 404) return false;
  if (r.status >= 200 && r.status < 300) return true;
  std::string message = message_from_body(r.body);
  throw EngineError(classify(r.status, message), r.status, fmt::format("inspect {}: {}", what, message));
}
}  // namespace

bool Client::network_exists(const std::string& name) {
  return exists(*this, "network " + name, "/networks/" + url_encode(name));
}

bool Client::volume_exists(const std::string& name) {
  return exists(*this, "volume " + name, "/volumes/" + url_encode(name));
}

void Client::remove_volume(const std::string& name, bool force) {
  Query q;
  q.add_if(force, "force", "1");
  HttpResponse r = call("DELETE", "/volumes/" + url_encode(name) + q.str());
  check(r, fmt::format("remove volume {}", name));
}

// ---------------------------------------------------------------------------------------
// Images (references go into paths unescaped: the engine routes "/images/{name:.*}/json")

std::optional<ImageInfo> Client::inspect_image(const std::string& ref) {
  HttpResponse r = call("GET", "/images/" + ref + "/json");
  if (r.status == 404) return std::nullopt;
  check(r, fmt::format("inspect image {}", ref));
  json doc = detail::parse_json(r, "inspect image");
  ImageInfo info;
  info.id = detail::str(doc, "Id");
  info.tags = detail::string_list(doc, "RepoTags");
  if (podman_)
    for (auto& tag : info.tags) tag = podman::familiar_image_name(tag);
  if (auto config = doc.find("Config"); config != doc.end() && config->is_object()) {
    info.labels = detail::string_map(*config, "Labels");
  }
  info.size = doc.value("Size", 0LL);
  info.created = detail::str(doc, "Created");
  if (auto config = doc.find("Config"); config != doc.end() && config->is_object()) {
    info.config = ImageConfig(*config);
    info.onbuild = detail::string_list(*config, "OnBuild");
    info.user = detail::str(*config, "User");
  }
  return info;
}

void Client::remove_image(const std::string& ref) {
  HttpResponse r = call("DELETE", "/images/" + ref);
  check(r, fmt::format("remove image {}", ref));
}

void Client::pull_image(const std::string& ref, const ProgressSink& sink) {
  auto [name, tag] = split_image_ref(ref);
  HttpRequest req;
  req.method = "POST";
  req.target = path("/images/create" + Query().add("fromImage", name).add("tag", tag).str());
  req.timeout = kPullIdle;
  // The engine reports a failed pull inside a 200 stream, as a line with errorDetail.
  JsonLinesDecoder decoder([&](const json& event) {
    if (std::string err = detail::stream_error(event); !err.empty()) {
      throw EngineError(ErrorKind::kPullFailed, 200, fmt::format("pull {}: {}", ref, err));
    }
    if (sink) sink(event);
  });
  HttpResponse r = transport_->stream(req, [&](std::string_view chunk) {
    decoder.feed(chunk);
    return true;
  });
  if (!success(r)) {
    throw EngineError(ErrorKind::kPullFailed, r.status,
                      fmt::format("pull {}: {}", ref, message_from_body(r.body)));
  }
  decoder.finish();
}

namespace {

std::string build_query(const std::string& tag, const BuildOptions& options) {
  Query q;
  q.add("t", tag).add("rm", "1").add("forcerm", "1");
  q.add_if(!options.labels.empty(), "labels", json(options.labels).dump());
  q.add_if(!options.build_args.empty(), "buildargs", json(options.build_args).dump());
  q.add_if(!options.dockerfile.empty(), "dockerfile", options.dockerfile);
  q.add_if(!options.network_mode.empty(), "networkmode", options.network_mode);
  for (const auto& h : options.extra_hosts) q.add("extrahosts", h);
  q.add_if(options.shm_size > 0, "shmsize", std::to_string(options.shm_size));
  if (!options.ulimits.empty()) {
    json u = json::array();
    for (const auto& l : options.ulimits)
      u.push_back({{"Name", l.name}, {"Soft", l.soft}, {"Hard", l.hard}});
    q.add("ulimits", u.dump());
  }
  q.add_if(options.no_cache, "nocache", "1");
  return q.str();
}

}  // namespace

std::string Client::build_image(const std::string& context_tar_path, const std::string& tag,
                                const BuildSink& sink, const BuildOptions& options) {
  HttpRequest req;
  req.method = "POST";
  req.target = path("/build" + build_query(tag, options));
  req.body_file = context_tar_path;
  req.content_type = "application/x-tar";
  req.timeout = options.idle_timeout;
  std::string image_id;
  bool podman_output = podman();
  JsonLinesDecoder decoder([&](const json& event) {
    if (std::string err = detail::stream_error(event); !err.empty()) {
      throw EngineError(ErrorKind::kBuildFailed, 200, fmt::format("build {}: {}", tag, err));
    }
    if (auto aux = event.find("aux"); aux != event.end() && aux->is_object()) {
      if (std::string id = detail::str(*aux, "ID"); !id.empty()) image_id = id;
    }
    if (!sink || (!event.contains("stream") && !event.contains("status"))) return;
    BuildOutput out{detail::str(event, "stream"), detail::str(event, "status")};
    // Podman's words made the classic builder's, which callers read.
    if (podman_output && !out.stream.empty()) out.stream = podman::docker_build_output(out.stream);
    sink(out);
  });
  HttpResponse r = transport_->stream(req, [&](std::string_view chunk) {
    decoder.feed(chunk);
    return true;
  });
  if (!success(r)) {
    throw EngineError(ErrorKind::kBuildFailed, r.status,
                      fmt::format("build {}: {}", tag, message_from_body(r.body)));
  }
  decoder.finish();
  if (!image_id.empty()) return image_id;
  // Engines that send no aux.ID line still tagged the result.
  if (auto info = inspect_image(tag)) return info->id;
  throw EngineError(ErrorKind::kBuildFailed, r.status,
                    fmt::format("build {}: the engine reported no image", tag));
}

namespace {

// The path-stat header is standard base64 of a JSON object.
std::string base64_decode(const std::string& in) {
  std::string text;
  for (char c : in)
    if (!std::isspace(static_cast<unsigned char>(c))) text += c;
  if (text.empty() || text.size() % 4 != 0) return "";
  std::string out(text.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return "";
  size_t pad = text.ends_with("==") ? 2 : text.ends_with('=') ? 1 : 0;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

}  // namespace

namespace {

PathStat read_path_stat(const HttpResponse& r, const std::string& p) {
  std::string header = r.header("x-docker-container-path-stat");
  json stat = header.empty() ? json() : json::parse(base64_decode(header), nullptr, false);
  if (!stat.is_object() || !stat.contains("mode") || !stat["mode"].is_number())
    throw EngineError(ErrorKind::kProtocol, r.status, fmt::format("look at {}: the engine sent no path stat", p));
  PathStat out;
  out.name = detail::str(stat, "name");
  out.mode = stat["mode"].get<uint32_t>();
  out.size = stat.value("size", 0LL);
  out.link_target = detail::str(stat, "linkTarget");
  return out;
}

}  // namespace

std::optional<PathStat> Client::path_stat(const std::string& container_id, const std::string& p) {
  HttpResponse r = call("HEAD", "/containers/" + url_encode(container_id) + "/archive" + Query().add("path", p).str());
  if (r.status == 404) return std::nullopt;
  check(r, fmt::format("look at {} in container {}", p, container_id));
  return read_path_stat(r, p);
}

std::optional<uint32_t> Client::stat_path(const std::string& container_id, const std::string& p) {
  auto stat = path_stat(container_id, p);
  if (!stat) return std::nullopt;
  return stat->mode;
}

PathStat Client::get_archive(const std::string& container_id, const std::string& p, const ChunkSink& sink) {
  HttpRequest req;
  req.method = "GET";
  req.target = path("/containers/" + url_encode(container_id) + "/archive" + Query().add("path", p).str());
  req.timeout = std::chrono::minutes(5);  // between reads
  HttpResponse r = transport_->stream(req, sink);
  check(r, fmt::format("copy {} out of container {}", p, container_id));
  return read_path_stat(r, p);
}

void Client::put_archive(const std::string& container_id, const std::string& p, const std::string& tar_path,
                         bool copy_owner) {
  HttpRequest req;
  req.method = "PUT";
  req.target = path("/containers/" + url_encode(container_id) + "/archive" +
                    Query().add("path", p).add_if(copy_owner, "copyUIDGID", "1").str());
  req.body_file = tar_path;
  req.content_type = "application/x-tar";
  req.timeout = std::chrono::minutes(5);
  HttpResponse r = transport_->request(req);
  check(r, fmt::format("copy files into container {}", container_id));
}

std::string Client::commit(const std::string& container_id, const std::string& ref, const std::string& comment) {
  auto [repo, tag] = split_image_ref(ref);
  // Podman refuses a commit without a body (the config to change); {} changes nothing.
  const json no_changes = json::object();
  HttpResponse r = call("POST", "/commit" + Query()
                                                .add("container", container_id)
                                                .add("repo", repo)
                                                .add("tag", tag)
                                                .add("comment", comment)
                                                .add("pause", "false")
                                                .str(),
                        podman() ? &no_changes : nullptr, std::chrono::minutes(5));
  check(r, fmt::format("commit container {} as {}", container_id, ref));
  return detail::str(detail::parse_json(r, "commit"), "Id");
}

void Client::prune_images(const Filters& filters) {
  HttpResponse r = call("POST", "/images/prune" + filters_query(filters));
  check(r, "prune images");
}

// ---------------------------------------------------------------------------------------
// Exec

std::string Client::exec_create(const std::string& container_id, const ExecSpec& spec) {
  json body = {{"AttachStdout", true},
               {"AttachStderr", true},
               {"AttachStdin", spec.attach_stdin},
               {"Tty", spec.tty},
               {"Cmd", spec.cmd}};
  if (!spec.env.empty()) body["Env"] = spec.env;
  if (!spec.user.empty()) body["User"] = spec.user;
  if (!spec.working_dir.empty()) body["WorkingDir"] = spec.working_dir;
  HttpResponse r = call("POST", "/containers/" + url_encode(container_id) + "/exec", &body);
  check(r, fmt::format("exec in container {}", container_id));
  return detail::str(detail::parse_json(r, "exec create"), "Id");
}

std::unique_ptr<RawStream> Client::exec_start(const std::string& exec_id, bool tty) {
  HttpRequest req;
  req.method = "POST";
  req.target = path("/exec/" + url_encode(exec_id) + "/start");
  req.body = json{{"Detach", false}, {"Tty", tty}}.dump();
  try {
    return transport_->upgrade(req);
  } catch (const EngineError& e) {
    if (e.status() == 0) throw;  // transport failure: its message already names the call
    throw EngineError(e.kind(), e.status(), fmt::format("start exec {}: {}", exec_id, e.what()));
  }
}

void Client::exec_resize(const std::string& exec_id, int rows, int cols) {
  Query q;
  q.add("h", std::to_string(rows)).add("w", std::to_string(cols));
  HttpResponse r = call("POST", "/exec/" + url_encode(exec_id) + "/resize" + q.str());
  check(r, fmt::format("resize exec {}", exec_id));
}

ExecState Client::exec_inspect(const std::string& exec_id) {
  HttpResponse r = call("GET", "/exec/" + url_encode(exec_id) + "/json");
  check(r, fmt::format("inspect exec {}", exec_id));
  json info = detail::parse_json(r, "inspect exec");
  ExecState state;
  if (!info.is_object()) return state;
  state.running = info.value("Running", false);
  if (auto code = info.find("ExitCode"); code != info.end() && code->is_number_integer() && !state.running)
    state.exit_code = code->get<int>();
  return state;
}

ExecResult Client::exec(const std::string& container_id, const std::vector<std::string>& cmd,
                        const std::vector<std::string>& env,
                        const std::optional<std::string>& stdin_data, const std::string& user) {
  ExecSpec spec;
  spec.cmd = cmd;
  spec.env = env;
  spec.user = user;
  spec.attach_stdin = stdin_data.has_value();
  std::string exec_id = exec_create(container_id, spec);
  std::unique_ptr<RawStream> raw = exec_start(exec_id, false);

  // stdin is written from its own thread: a process that answers while it reads (psql
  // loading a dump) would otherwise fill its output pipe and stop reading its input.
  std::thread writer;
  if (stdin_data) {
    writer = std::thread([&raw, &stdin_data] {
      try {
        raw->write_all(*stdin_data);
      } catch (const EngineError&) {
        // The process exited without reading everything; its exit code tells the story.
      }
      raw->shutdown_write();
    });
  }
  ExecResult result;
  FrameDecoder decoder([&](StreamId stream, std::string_view payload) {
    (stream == StreamId::kStderr ? result.err : result.out).append(payload);
  });
  std::exception_ptr read_error;
  try {
    std::vector<char> buf(kExecReadChunk);
    while (size_t n = raw->read_some(buf.data(), buf.size())) decoder.feed({buf.data(), n});
  } catch (...) {
    read_error = std::current_exception();
    ::shutdown(raw->native_handle(), SHUT_RDWR);  // unblocks a writer stuck on a full pipe
  }
  if (writer.joinable()) writer.join();
  if (read_error) std::rethrow_exception(read_error);

  // The attach stream can close a moment before the engine records the exit code.
  for (int i = 0; i < 100; ++i) {
    ExecState state = exec_inspect(exec_id);
    if (state.exit_code) {
      result.exit_code = *state.exit_code;
      break;
    }
    std::this_thread::sleep_for(20ms);
  }
  return result;
}

// ---------------------------------------------------------------------------------------
// Events

void Client::events(const Filters& filters, const std::function<bool(const json&)>& sink, long long since_s) {
  HttpRequest req;
  Query q;
  if (!filters.empty()) q.add_encoded("filters", encode_filters(filters));
  q.add_if(since_s > 0, "since", std::to_string(since_s));
  req.target = path("/events" + q.str());
  req.timeout = 0ms;  // events arrive whenever something happens
  bool stopped = false;
  JsonLinesDecoder decoder([&](const json& event) {
    if (!stopped && !sink(event)) stopped = true;
  });
  HttpResponse r = transport_->stream(req, [&](std::string_view chunk) {
    decoder.feed(chunk);
    return !stopped;
  });
  check(r, "follow engine events");
}

std::string ContainerEvent::attribute(const std::string& key) const {
  auto it = attributes.find(key);
  return it == attributes.end() ? "" : it->second;
}

std::string ContainerEvent::health() const {
  static constexpr std::string_view prefix = "health_status: ";
  if (action.rfind(prefix, 0) != 0) return "";
  return action.substr(prefix.size());
}

std::optional<ContainerEvent> parse_container_event(const json& event) {
  if (!event.is_object() || event.value("Type", "") != "container") return std::nullopt;
  ContainerEvent e;
  e.action = event.value("Action", "");
  if (auto actor = event.find("Actor"); actor != event.end() && actor->is_object()) {
    e.id = actor->value("ID", "");
    if (auto attrs = actor->find("Attributes"); attrs != actor->end() && attrs->is_object())
      for (const auto& [k, v] : attrs->items())
        if (v.is_string()) e.attributes[k] = v.get<std::string>();
  }
  if (e.id.empty()) e.id = event.value("id", "");
  if (auto t = event.find("timeNano"); t != event.end() && t->is_number()) e.time_ns = t->get<long long>();
  if (e.id.empty() || e.action.empty()) return std::nullopt;
  return e;
}

std::vector<ContainerEvent> Client::recent_container_events(const Filters& filters, long long since_s) {
  // `until` as seconds.nanoseconds of now: a whole second rounded up makes the engine
  // hold the stream open until that second has passed (up to a second per call).
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
                .count();
  Filters f = filters;
  f["type"] = {"container"};
  Query q;
  q.add("since", std::to_string(since_s));
  q.add("until", fmt::format("{}.{:09d}", ns / 1'000'000'000, ns % 1'000'000'000));
  q.add_encoded("filters", encode_filters(f));
  HttpResponse r = call("GET", "/events" + q.str(), nullptr, std::chrono::seconds(10));
  std::vector<ContainerEvent> out;
  if (r.status >= 300) return out;
  JsonLinesDecoder decoder([&](const json& event) {
    if (auto e = parse_container_event(event)) out.push_back(std::move(*e));
  });
  try {
    decoder.feed(r.body);
    decoder.finish();
  } catch (const EngineError&) {
    // A malformed line: the events before it are what the engine said.
  }
  return out;
}

void Client::container_events(const Filters& filters, const std::function<bool(const ContainerEvent&)>& sink,
                              long long since_s) {
  Filters f = filters;
  f["type"] = {"container"};
  events(
      f,
      [&](const json& event) {
        auto e = parse_container_event(event);
        return !e || sink(*e);
      },
      since_s);
}

}  // namespace biodev::docker
