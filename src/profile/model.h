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
  bool read_only = false;
  long long tmpfs_size = 0;  // bytes, 0 = engine default
  bool data = false;         // bind under .data/: created by biodev, removed by `down -v`
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
  std::vector<std::string> test;  // ["CMD-SHELL", "..."] or ["CMD", ...]
  long long interval_ms = 5000, timeout_ms = 3000, start_period_ms = 0;
  int retries = 5;
};

struct DependsOn {
  enum class Condition { kStarted, kHealthy, kCompleted };
  std::string service;
  Condition condition = Condition::kHealthy;
  SourceLoc loc;
};
const char* to_string(DependsOn::Condition c);

struct Resources {
  double cpus = 0;               // 0 = unlimited
  long long memory_bytes = 0;    // 0 = unlimited
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
  std::string stand_in;          // non-empty: what this service stands in for (shown to users)
  std::vector<std::string> watch;  // host paths `biodev watch` restarts the service on
  std::vector<Route> routes;       // gateway routes served by this service
  bool gateway = false;            // gets BIODEV_GATEWAY_SPEC injected
  SeedSpec seed;
  int stop_grace_s = 2;
  SourceLoc loc;

  // The same service for machines with no registry: `offline:` merged over the base.
  std::shared_ptr<const Service> offline;

  std::string env_value(const std::string& key) const;  // "" when unset
};

struct Network {
  std::string name;
  bool internal = false;
  SourceLoc loc;
};

struct Volume {
  std::string name;
  SourceLoc loc;
};

struct Export {
  std::string name;      // DATABASE_URL
  std::string template_;  // "postgresql://u:p@{postgres:5432}/db"
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
  // Values never to print (config, logs, errors): secret-named variables and .env values,
  // by variable name. See redact.h.
  std::map<std::string, std::string> secrets;
  std::vector<std::string> warnings;  // "file:line:col: message", e.g. unset variables

  const Service* find(const std::string& name) const;
  std::vector<std::string> service_names() const;
};

}  // namespace biodev::profile
