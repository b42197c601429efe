// The resolved profile: what `biodev config` prints and everything downstream reads.
// Produced by profile/loader.h after extends:, .env interpolation and validation; a
// Profile that exists is valid (names resolve, no cycles, no duplicate host ports).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace biodev::profile {

// Where a value came from, for "file:line:col: message".
struct SourceLoc {
  std::string file;
  int line = 0;  // 1-based; 0 = unknown
  int col = 0;
  std::string to_string() const;  // "profiles/default.yaml:12:5"
};

struct PortSpec {
  std::string host_ip = "127.0.0.1";
  int host_port = 0;  // 0 = the engine picks
  int container_port = 0;
  std::string protocol = "tcp";
  SourceLoc loc;
};

// "127.0.0.1:5432:5432", "127.0.0.1:0:8000/udp".
std::string port_string(const PortSpec& p);

struct MountSpec {
  enum class Type { kBind, kVolume, kTmpfs };
  Type type = Type::kBind;
  std::string source;  // bind: absolute host path; volume: profile volume name; tmpfs: ""
  std::string target;
  // volume: compose's anonymous volume (a container path alone); source is the profile
  // volume the compose reader declares for it, <service>_anon_<sha256(target), 12 hex>.
  bool anonymous = false;
  bool read_only = false;
  long long tmpfs_size = 0;  // bytes, 0 = engine default
  bool data = false;         // bind under .data/: created by biodev, removed by `down -v`
  bool create_host_path = false;  // bind: make a missing host folder (compose short syntax)
  int tmpfs_mode = 0;        // tmpfs: permission bits, 0 = engine default (1777)
  SourceLoc loc;
};

// How biodev decides a service is ready, run from the host against its published port
// (or from the gateway over the network).
struct ProbeSpec {
  enum class Kind { kNone, kTcp, kHttp, kPostgres, kRedis, kExec };
  Kind kind = Kind::kNone;
  int port = 0;                      // container port; resolved to the published one
  std::string path = "/";            // http
  int expect_status = 200;           // http: this status (or any 2xx when 200)
  std::vector<std::string> command;  // exec
  std::string user, password, database;  // postgres (password used by seeding only)
  int timeout_ms = 60000;            // give up waiting after this long
};
const char* to_string(ProbeSpec::Kind kind);

struct Healthcheck {
  std::vector<std::string> test;  // ["CMD-SHELL", "..."], ["CMD", ...] or ["NONE"]
  long long interval_ms = 5000, timeout_ms = 3000, start_period_ms = 0;
  long long start_interval_ms = 0;  // 0 = engine default (API >= 1.44 only)
  int retries = 5;
};

struct DependsOn {
  enum class Condition { kStarted, kHealthy, kCompleted };
  std::string service;
  Condition condition = Condition::kHealthy;
  bool required = true;   // compose: false = skip when the service is not in the project
  bool restart = false;   // compose: restart this service when the dependency is recreated
  SourceLoc loc;
};
const char* to_string(DependsOn::Condition c);

struct Resources {
  double cpus = 0;               // 0 = unlimited
  long long memory_bytes = 0;    // 0 = unlimited
  long long memory_reservation_bytes = 0;  // soft limit; 0 = none
  long long pids_limit = 0;                // 0 = unlimited
};

// A device request (compose deploy.resources.reservations.devices, `gpus:`).
struct DeviceRequest {
  std::string driver;                     // "nvidia", "" = engine default
  int count = 0;                          // -1 = all
  std::vector<std::string> device_ids;
  std::vector<std::string> capabilities;  // ["gpu"]
  std::map<std::string, std::string> options;
};

struct Ulimit {
  std::string name;  // nofile
  long long soft = 0, hard = 0;
};

// How a service's image is built (compose `build:`). Paths are absolute.
struct BuildSpec {
  std::string context;            // folder sent to the engine as a tar
  std::string dockerfile;         // path inside the context ("Dockerfile")
  std::string dockerfile_inline;  // non-empty: the Dockerfile's text, `dockerfile` unused
  std::vector<std::pair<std::string, std::string>> args;  // ordered as written
  std::string target;
  std::map<std::string, std::string> labels;
  std::vector<std::string> cache_from;
  std::string network;            // build-time network mode; "" = default
  std::vector<std::string> extra_hosts;  // "host:ip"
  long long shm_size = 0;                // bytes of /dev/shm for RUN steps; 0 = engine default
  std::vector<Ulimit> ulimits;           // for RUN steps
  bool no_cache = false;                 // the builder reuses no layer
  SourceLoc loc;
};

// A file given to the service from a top-level `secrets:` / `configs:` entry.
struct FileGrant {
  std::string source;  // top-level name
  std::string target;  // absolute path in the container
  std::string uid, gid;
  int mode = -1;       // -1 = default (0444)
  SourceLoc loc;
};

struct NetworkAttachment {
  std::string network;  // profile network name
  std::vector<std::string> aliases;
};

struct Bucket {
  std::string name;
};
struct Collection {
  std::string name;
  int size = 0;
  std::string distance = "Cosine";  // Cosine | Dot | Euclid | Manhattan
};

// Seed actions run after the service is ready (src/seed/).
struct SeedSpec {
  enum class Kind { kNone, kPostgres, kS3, kQdrant };
  Kind kind = Kind::kNone;
  std::string scripts_dir;  // postgres: absolute path of init-scripts/<service>
  std::vector<Bucket> buckets;
  std::string access_key, secret_key, region = "us-east-1";  // s3
  std::vector<Collection> collections;
  SourceLoc loc;
};

struct Route {
  std::string prefix;   // "/api/"
  std::string service;  // "bio_ai_server"
  int port = 0;
  bool strip_prefix = false;  // forward "/inference/v1/x" as "/v1/x"
};

struct Service {
  std::string name;
  std::string image;
  std::vector<std::string> command;
  std::vector<std::string> entrypoint;  // empty = image default
  std::vector<std::pair<std::string, std::string>> env;  // ordered as written
  std::vector<PortSpec> ports;
  std::vector<MountSpec> mounts;
  std::vector<NetworkAttachment> networks;  // default: every profile network named "default"
  std::vector<DependsOn> depends_on;
  ProbeSpec ready;
  std::optional<Healthcheck> healthcheck;
  Resources resources;
  std::string pool;  // general | memory | gpu, mapped to resources by the profile's pools
  std::string user;
  std::string working_dir;
  std::map<std::string, std::string> labels;
  bool init = true;
  bool required = true;          // counted by health / the gateway
  std::string restart = "no";    // no | on-failure | unless-stopped | always
  int restart_max_retries = 0;   // on-failure:N
  std::string stand_in;          // non-empty: what this service stands in for (shown to users)
  std::vector<std::string> watch;  // host paths `biodev watch` restarts the service on
  // How `biodev watch` restarts it: kProcess, the command inside its running container
  // (biodev-init as its first process: src/init/biodev_init.c); kContainer, the container.
  enum class WatchRestart { kProcess, kContainer };
  WatchRestart watch_restart = WatchRestart::kProcess;
  // A container biodev-init runs in: services with watch: paths restarted as a process.
  bool restarts_in_place() const { return !watch.empty() && watch_restart == WatchRestart::kProcess; }
  std::vector<Route> routes;       // gateway routes served by this service
  bool gateway = false;            // gets BIODEV_GATEWAY_SPEC injected
  SeedSpec seed;
  int stop_grace_s = 2;
  SourceLoc loc;

  // Compose-level keys (docs/compose.md); empty/zero = the engine's default.
  std::optional<BuildSpec> build;
  std::string pull_policy;       // "" (missing) | always | never | build | missing
  std::vector<std::string> expose;  // "8000", "8000/udp": exposed, not published
  std::string hostname;          // "" = the service name
  std::string container_name;    // "" = <project>-<service>
  std::string stop_signal;
  std::vector<std::string> cap_add, cap_drop, security_opt, extra_hosts, dns, group_add;
  bool privileged = false;
  bool read_only_rootfs = false;
  bool tty = false, stdin_open = false;
  long long shm_size = 0;
  std::vector<Ulimit> ulimits;
  std::map<std::string, std::string> sysctls;
  std::vector<DeviceRequest> device_requests;
  std::vector<std::string> devices;  // "/dev/x:/dev/x:rwm"
  std::string platform;
  std::string network_mode;      // "host", "none", "service:x", "container:x"; "" = networks
  std::string ipc, pid;
  std::vector<std::string> profiles;  // compose profiles the service belongs to
  std::vector<FileGrant> secrets, configs;
  // Upstream image substituted offline (set with `offline`): "postgres:16" when the
  // offline variant is a substitute for it, shown as "postgres:16 -> biodev/postgres:15".
  std::string substitute_for;

  // The same service for machines with no registry: `offline:` merged over the base.
  std::shared_ptr<const Service> offline;

  std::string env_value(const std::string& key) const;  // "" when unset
};

struct Network {
  std::string name;
  bool internal = false;
  bool external = false;       // made elsewhere: used, never created or removed
  std::string engine_name;     // compose `name:`; "" = <project>_<name>
  std::string driver;          // "" = bridge
  std::map<std::string, std::string> driver_opts, labels;
  bool attachable = false, enable_ipv6 = false;
  SourceLoc loc;
};

struct Volume {
  std::string name;
  // An anonymous volume: the service whose mount it is ("" = declared under volumes:).
  // Labelled with that service; kept across recreate, removed by `down -v`.
  std::string service;
  bool external = false;
  std::string engine_name;     // compose `name:`; "" = <project>_<name>
  std::string driver;          // "" = local
  std::map<std::string, std::string> driver_opts, labels;
  SourceLoc loc;
};

// A top-level `secrets:` or `configs:` entry, resolved to where its bytes come from.
struct FileSource {
  std::string name;
  enum class Kind { kFile, kEnvironment, kContent, kExternal } kind = Kind::kFile;
  std::string file;         // kFile: absolute path
  std::string environment;  // kEnvironment: variable name
  std::string content;      // kContent (and kEnvironment once resolved)
  bool secret = false;
  SourceLoc loc;
};

struct Export {
  std::string name;      // DATABASE_URL
  std::string template_;  // "postgresql://u:p@{postgres:5432}/db"
  SourceLoc loc;
};

// A user entry of the offline substitute map (x-biodev.substitutes): upstream
// repository (optionally with :tag or a trailing *) -> image. See substitutes.h.
struct SubstituteRule {
  std::string pattern;  // "postgres", "postgres:16*", "ghcr.io/acme/api:*"
  std::string image;    // "biodev/postgres:15", "registry.local/acme/api:1"
  SourceLoc loc;
};

struct Profile {
  std::string name;         // "default"
  std::string source;       // file the profile came from ("<embedded>/profiles/x.yaml" or a path)
  std::string project;      // from the profile, may be overridden by -p
  std::string project_dir;  // absolute; relative paths resolve against it
  std::vector<Network> networks;
  std::vector<Volume> volumes;
  std::vector<Service> services;  // in file order
  std::vector<Export> exports;
  std::vector<FileSource> secrets_defs, configs_defs;  // top-level secrets: / configs:
  // x-biodev.substitutes and the BIODEV_SUBSTITUTES file: also applied to FROM lines.
  std::vector<SubstituteRule> substitutes;
  // `shared_sandbox: true` (compose: x-biodev.shared_sandbox): `up` groups services into
  // shared network sandboxes (plan/sandbox.h). `run` does so unless told otherwise.
  bool shared_sandbox = false;
  // Where the profile came from: "profile" (biodev's own format) or "compose".
  std::string format = "profile";
  std::vector<std::string> compose_files;  // compose: the -f files, in merge order
  // Values never to print (config, logs, errors): secret-named variables and .env values,
  // by variable name. See redact.h.
  std::map<std::string, std::string> secrets;
  std::vector<std::string> warnings;  // "file:line:col: message", e.g. unset variables

  const Service* find(const std::string& name) const;
  std::vector<std::string> service_names() const;
};

}  // namespace biodev::profile
