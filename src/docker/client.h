// Typed Docker Engine API client: one function per endpoint biodev uses.
//
// Bodies are nlohmann::json in and out. Failures throw EngineError (docker/errors.h)
// with the engine's own message. The API version is negotiated once from /_ping and
// prefixed to every path ("/v1.41/..."), so Engine 20.10 through 29 work.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "docker/container_info.h"
#include "docker/container_spec.h"
#include "docker/decoders.h"
#include "docker/image_config.h"
#include "docker/transport.h"

namespace biodev::docker {

using json = nlohmann::json;

// Label filters: {"label": ["dev.biodev.project=foo"]} -> ?filters=<urlencoded json>.
using Filters = std::map<std::string, std::vector<std::string>>;

struct ContainerSummary {
  std::string id;
  std::string name;  // without the leading '/'
  std::string image;
  std::string image_id;
  std::string state;   // created, running, paused, restarting, removing, exited, dead
  std::string status;  // "Up 3 seconds (healthy)"
  std::map<std::string, std::string> labels;
  std::vector<PortBinding> ports;
  std::vector<std::string> networks;  // network names
  std::string ip;                     // the address on the first network (by name), if any
  long long created = 0;              // unix seconds
  std::string label(const std::string& key) const;
};

// The health in a list entry's Status ("Up 3 minutes (healthy)" -> "healthy",
// "(health: starting)" -> "starting"); "" when the container has no healthcheck.
std::string health_from_status(const std::string& status);

struct NetworkSummary {
  std::string id;
  std::string name;
  std::map<std::string, std::string> labels;
  std::string created;  // RFC 3339, as the engine reports it (sorts in time order)
  struct Endpoint {
    std::string key;   // of Containers: a container id, or "ep-..." for an endpoint an
                       // engine restart left
    std::string name;  // its Name: the container's name
  };
  std::vector<Endpoint> endpoints;  // only filled by inspect_network
};

struct VolumeSummary {
  std::string name;
  std::map<std::string, std::string> labels;
  std::string mountpoint;
};

struct ImageInfo {
  std::string id;
  std::vector<std::string> tags;
  std::map<std::string, std::string> labels;
  long long size = 0;
  std::string created;  // RFC 3339, as the engine reports it
  std::vector<std::string> onbuild;  // Config.OnBuild triggers
  std::string user;                  // Config.User: who its containers run as ("" root)
  // The image's Config: what a container of it starts from, for the Dockerfile
  // assembler to extend.
  ImageConfig config;
};

struct LogOptions {
  bool follow = false;
  bool timestamps = false;
  int tail = -1;  // -1 = all
  long long since = 0;
  // With follow: asked whenever output arrives; false ends the stream (the reader has gone).
  std::function<bool()> keep_going;
};

// One sample of GET /containers/{id}/stats, computed as `docker stats` shows it.
struct ContainerStats {
  double cpu_percent = 0;         // 100 = one CPU busy
  long long memory_bytes = 0;     // usage without the inactive page cache
  long long memory_limit = 0;     // the cgroup's limit (the machine's memory when none)
  long long net_rx = 0, net_tx = 0;  // bytes, summed over the networks
  long long pids = 0;
  bool running = true;  // false: the engine sent an empty sample (the container is not running)
};
ContainerStats parse_stats(const json& sample);

// A container's entry of the engine's event stream (GET /events, Type "container").
struct ContainerEvent {
  std::string id;
  std::string action;  // "start", "die", "stop", "pause", "health_status: healthy", ...
  std::map<std::string, std::string> attributes;  // Actor.Attributes: labels, name, exitCode
  long long time_ns = 0;
  // The health it reports ("healthy", "unhealthy", "starting"), "" for other actions.
  std::string health() const;
  std::string attribute(const std::string& key) const;  // "" when absent
};
// Reads one event; nullopt when it is not about a container.
std::optional<ContainerEvent> parse_container_event(const json& event);

// Called for every JSON line of a pull/build/load stream (already checked for
// errorDetail, which throws instead).
using ProgressSink = std::function<void(const json& event)>;

// One line of /build progress: the builder's output (`stream`) or a pull's `status`.
// Engine-reported errors throw instead; the builder's own bookkeeping (aux) is not sent.
struct BuildOutput {
  std::string stream;
  std::string status;
};
using BuildSink = std::function<void(const BuildOutput& output)>;

// Optional /build parameters beyond the tag.
struct BuildOptions {
  std::map<std::string, std::string> labels;      // ?labels= (JSON), stamped on the image
  std::map<std::string, std::string> build_args;  // ?buildargs= (JSON), ARG values
  std::string dockerfile;                         // path inside the context; "" = Dockerfile
  // What RUN steps get: ?networkmode=, ?extrahosts= (one per "host:ip"), ?shmsize=
  // (bytes), ?ulimits= (JSON [{Name, Soft, Hard}]), ?nocache=1.
  std::string network_mode;
  std::vector<std::string> extra_hosts;
  long long shm_size = 0;
  std::vector<UlimitSpec> ulimits;
  bool no_cache = false;
  // Longest silence tolerated between progress lines (RUN steps can be quiet for long).
  std::chrono::milliseconds idle_timeout = std::chrono::minutes(30);
};

// The X-Docker-Container-Path-Stat of the archive endpoints: `mode` is Go's os.FileMode.
struct PathStat {
  std::string name;  // the base name ("." for "dir/.")
  long long size = 0;
  uint32_t mode = 0;
  std::string link_target;  // for a symlink, the path it resolves to
  bool is_dir() const { return mode & (1u << 31); }
  bool is_symlink() const { return mode & (1u << 27); }
};

// A process to run in a container (POST /containers/{id}/exec); stdout and stderr are
// always attached.
struct ExecSpec {
  std::vector<std::string> cmd;
  std::vector<std::string> env;  // extra KEY=VALUE
  std::string user, working_dir;  // "" = the container's
  bool tty = false;
  bool attach_stdin = false;
};

// What GET /exec/{id}/json says of it: exit_code set once it has ended.
struct ExecState {
  bool running = false;
  std::optional<int> exit_code;
};

struct ExecResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// With it on (`--verbose`), every engine call is written to spdlog's debug log. Off,
// the client does not touch spdlog at all, which builds its logger on first use.
void set_debug_log(bool on);

// Which engine answers, from GET /version: "Docker" (its Components name the "Engine")
// or "Podman" (the "Podman Engine"), with that component's version.
struct EngineIdentity {
  std::string name;
  std::string version;
};
EngineIdentity engine_identity(const json& version);

class Client {
 public:
  explicit Client(std::shared_ptr<Transport> transport);

  // GET /_ping; picks min(engine API-Version, kMaxApiVersion). Called lazily by the
  // first request; call it early to fail fast with kUnreachable.
  void negotiate();
  const std::string& api_version();  // "1.41"
  json version();                    // GET /version
  EngineIdentity engine();           // version(), read by engine_identity()
  // Podman's Docker-compatible API answers (its /_ping says so): the client then
  // smooths over where it differs from Docker's (docker/podman.h).
  bool podman();
  const Transport& transport() const { return *transport_; }
  // Where this machine reaches the ports the engine publishes (engine_config.h's
  // reach_host): 127.0.0.1 unless the engine is elsewhere.
  const std::string& reach_host() const { return reach_host_; }
  void set_reach_host(std::string host) { reach_host_ = std::move(host); }

  // Containers
  std::vector<ContainerSummary> list_containers(const Filters& filters, bool all = true);
  std::string create_container(const std::string& name, const json& body);  // returns id
  std::string create_container(const std::string& name, const ContainerSpec& spec);
  void start_container(const std::string& id);  // 304 (already started) is not an error
  void stop_container(const std::string& id, int timeout_s);  // 304 is not an error
  void kill_container(const std::string& id, const std::string& signal = "KILL");
  // POST /containers/{id}/restart?t=: stops (waiting timeout_s) and starts again.
  void restart_container(const std::string& id, int timeout_s);
  // POST /containers/{id}/pause and /unpause (the cgroup freezer).
  void pause_container(const std::string& id);
  void unpause_container(const std::string& id);
  void remove_container(const std::string& id, bool force, bool volumes = false);
  void rename_container(const std::string& id, const std::string& new_name);
  ContainerInfo inspect_container(const std::string& id);
  // Long poll: blocks until the container is not running; returns its exit code.
  int wait_container(const std::string& id, const std::string& condition = "not-running");
  // One sample (?stream=false: the engine takes two readings a moment apart for CPU).
  ContainerStats stats(const std::string& id);
  // The engine's sample every second until the sink returns false or the container stops.
  void stats_stream(const std::string& id, const std::function<bool(const ContainerStats&)>& sink);
  // Demultiplexes frames (or raw bytes for TTY containers) into on_frame. With follow,
  // returns when the container stops (no deadline); otherwise 30s idle timeout.
  void logs(const std::string& id, const LogOptions& opts, bool tty, const FrameSink& on_frame);

  // Networks
  std::vector<NetworkSummary> list_networks(const Filters& filters);
  std::string create_network(const std::string& name, const json& body);  // returns id
  std::string create_network(const NetworkSpec& spec);
  void remove_network(const std::string& id);
  void connect_network(const std::string& network, const std::string& container,
                       const std::vector<std::string>& aliases);
  void disconnect_network(const std::string& network, const std::string& container, bool force);
  NetworkSummary inspect_network(const std::string& id);

  // Volumes
  std::vector<VolumeSummary> list_volumes(const Filters& filters);
  // driver "" = the engine's default ("local").
  void create_volume(const std::string& name, const std::map<std::string, std::string>& labels,
                     const std::string& driver = "", const std::map<std::string, std::string>& driver_opts = {});
  // Whether a network / volume of that name (or id) exists.
  bool network_exists(const std::string& name);
  bool volume_exists(const std::string& name);
  void remove_volume(const std::string& name, bool force = false);

  // Images
  std::optional<ImageInfo> inspect_image(const std::string& ref);  // nullopt on 404
  // DELETE /images/{ref}: the engine refuses (kConflict) while a tag, a child image or
  // a container refers to it.
  void remove_image(const std::string& ref);
  // POST /images/create?fromImage=&tag= ; progress to sink. Every failure the engine
  // reports (errorDetail in the stream, or an HTTP error status) -> kPullFailed, with the
  // HTTP status kept (200 for in-stream errors).
  void pull_image(const std::string& ref, const ProgressSink& sink);
  // POST /build with a tar context file (streamed, never loaded in memory); tag
  // "repo:tag". Returns the image id ("sha256:..."). Engine-reported failures ->
  // kBuildFailed, as for pull_image.
  std::string build_image(const std::string& context_tar_path, const std::string& tag,
                          const BuildSink& sink, const BuildOptions& options = {});
  // HEAD /containers/{id}/archive?path=: what is at `path` in the container's
  // filesystem (a symlink itself, not followed), nullopt when nothing is (404).
  std::optional<PathStat> path_stat(const std::string& container_id, const std::string& path);
  // GET /containers/{id}/archive?path=: a tar of `path` (a folder with all under it),
  // fed to `sink` as it arrives; returns the stat of `path`. Nothing there -> EngineError
  // kNotFound.
  PathStat get_archive(const std::string& container_id, const std::string& path, const ChunkSink& sink);
  // HEAD /containers/{id}/archive?path=: the mode bits of `path` in the container's
  // filesystem as Go's os.FileMode (1<<31 = a folder), nullopt when there is nothing.
  std::optional<uint32_t> stat_path(const std::string& container_id, const std::string& path);
  // PUT /containers/{id}/archive?path=: unpacks the tar file there (a created container
  // need not run). With copy_owner the members keep their tar uid/gid, else root's.
  void put_archive(const std::string& container_id, const std::string& path, const std::string& tar_path,
                   bool copy_owner);
  // POST /commit: the container's filesystem changes and its config as image `ref`
  // ("repo:tag"); returns the image id.
  std::string commit(const std::string& container_id, const std::string& ref, const std::string& comment);
  // POST /images/prune: removes the images the filters match that no container (running
  // or not) uses; with {"dangling": ["true"]} only untagged ones.
  void prune_images(const Filters& filters);

  // Exec: create + start (attached, no TTY) + inspect. stdin_data, when given, is written
  // (from a second thread, while output is read) and then half-closed. Waits for the
  // process to end however long it runs; exit_code stays -1 if the engine never reports one.
  ExecResult exec(const std::string& container_id, const std::vector<std::string>& cmd,
                  const std::vector<std::string>& env = {},
                  const std::optional<std::string>& stdin_data = std::nullopt,
                  const std::string& user = "");
  // Exec pieces for interactive use (biodev exec with a TTY).
  std::string exec_create(const std::string& container_id, const ExecSpec& spec);
  std::unique_ptr<RawStream> exec_start(const std::string& exec_id, bool tty);
  void exec_resize(const std::string& exec_id, int rows, int cols);
  ExecState exec_inspect(const std::string& exec_id);

  // GET /events?filters=...: JSON-lines stream; return false from sink to stop.
  // With since_s (unix seconds), the events from then are sent first.
  void events(const Filters& filters, const std::function<bool(const json&)>& sink, long long since_s = 0);
  // The container events among them, typed; returns when the sink says stop or the
  // engine ends the stream (it went away: the caller reconnects).
  void container_events(const Filters& filters, const std::function<bool(const ContainerEvent&)>& sink,
                        long long since_s = 0);
  // The container events from since_s until now: a bounded query (the stream ends at
  // now). Empty when the engine refuses the query.
  std::vector<ContainerEvent> recent_container_events(const Filters& filters, long long since_s);

  // Request helpers for endpoints without a typed function: `path` gets the version
  // prefix, `body` is sent as JSON. Transport failures throw; HTTP error statuses are
  // returned as they are, for the caller to judge.
  HttpResponse call(const std::string& method, const std::string& path, const json* body = nullptr,
                    std::chrono::milliseconds timeout = 30s);

  static constexpr const char* kMaxApiVersion = "1.45";

 private:
  std::string path(const std::string& p);  // "/v1.41" + p
  void check(const HttpResponse& r, const std::string& what);

  std::shared_ptr<Transport> transport_;
  std::once_flag negotiated_;
  std::string api_version_;
  bool podman_ = false;
  std::string reach_host_ = "127.0.0.1";
};

// "?filters=" query value for a Filters map (URL-encoded JSON), "" when empty.
std::string encode_filters(const Filters& filters);
std::string url_encode(std::string_view s);
std::string url_decode(std::string_view s);  // "%7B" -> "{"; a malformed escape stays as it is

// Splits an image reference into the fromImage/tag pair /images/create expects:
// "postgres" -> {"postgres", "latest"}, "localhost:5000/x:1" -> {"localhost:5000/x", "1"},
// "x@sha256:ab" (or "x:1@sha256:ab") -> {"x", "sha256:ab"}.
std::pair<std::string, std::string> split_image_ref(std::string_view ref);

}  // namespace biodev::docker
