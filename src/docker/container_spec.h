// What biodev asks the engine to create, typed: a container (POST /containers/create)
// and a network (POST /networks/create). The planner fills these; only the serialisers
// here know the engine's field names.
//
// Serialisation is canonical: equal specs give byte-identical JSON (keys sorted, an
// optional field absent unless set), which the planner's config hashes rely on. A field
// that is "unset" is left out, not sent as a zero, so that adding a field to the spec
// never changes the body (or the hash) of a container that does not use it.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace biodev::docker {

struct MountSpec {
  enum class Type { kBind, kVolume, kTmpfs };
  Type type = Type::kBind;
  std::string source;  // host path (bind) or engine volume name (volume); "" for tmpfs
  std::string target;
  bool read_only = false;
  long long tmpfs_size = 0;  // bytes; 0 = the engine's default
};

struct HostPortSpec {
  std::string host_ip;
  std::string host_port;  // "" = the engine picks a free port
};

struct UlimitSpec {
  std::string name;
  long long soft = 0, hard = 0;
};

struct DeviceRequestSpec {
  std::string driver;
  int count = 0;
  std::vector<std::string> device_ids;
  std::vector<std::string> capabilities;  // one capability set
  std::map<std::string, std::string> options;
};

struct DeviceMapping {
  std::string path_on_host, path_in_container, cgroup_permissions = "rwm";
};

struct HealthcheckSpec {
  std::vector<std::string> test;  // ["NONE"] turns the image's healthcheck off
  long long interval_ns = 0, timeout_ns = 0, start_period_ns = 0, start_interval_ns = 0;
  int retries = 0;
  // Only the test is sent when disabled (["NONE"]).
  bool disabled() const { return test == std::vector<std::string>{"NONE"}; }
};

struct HostConfigSpec {
  bool init = false;
  bool auto_remove = false;
  std::string restart_policy = "no";
  int restart_max_retries = 0;  // sent for on-failure when > 0
  std::vector<MountSpec> mounts;
  std::string network_mode;  // a network name or id, "host", "none", "container:<name or id>"
  // Container port key ("5432/tcp") -> where it is published. nullopt: no PortBindings
  // key at all (a member of a shared namespace may not have one).
  std::optional<std::map<std::string, std::vector<HostPortSpec>>> port_bindings;
  long long nano_cpus = 0, memory = 0, memory_reservation = 0, pids_limit = 0, shm_size = 0;
  std::vector<std::string> cap_add, cap_drop, security_opt, dns, group_add, extra_hosts;
  bool privileged = false, readonly_rootfs = false;
  std::vector<UlimitSpec> ulimits;
  std::map<std::string, std::string> sysctls;
  std::vector<DeviceRequestSpec> device_requests;
  std::vector<DeviceMapping> devices;
  std::string ipc_mode, pid_mode;
};

struct EndpointSpec {
  std::string network;  // name or id
  std::vector<std::string> aliases;
};

struct ContainerSpec {
  std::string image;
  std::vector<std::string> cmd, entrypoint;  // empty = the image's
  // "KEY=value"; nullopt: no Env key (the image's environment only).
  std::optional<std::vector<std::string>> env;
  std::optional<std::string> hostname;  // nullopt: none sent (shared namespaces refuse one)
  std::optional<int> stop_timeout;
  std::string stop_signal, user, working_dir;
  bool tty = false, open_stdin = false;
  // Container port keys ("8000/tcp"); nullopt: no ExposedPorts key.
  std::optional<std::vector<std::string>> exposed_ports;
  std::optional<HealthcheckSpec> healthcheck;
  HostConfigSpec host;
  std::optional<EndpointSpec> endpoint;  // the one network joined at create
  std::map<std::string, std::string> labels;

  // The label's value, "" when unset.
  std::string label(const std::string& key) const;
};

struct NetworkSpec {
  std::string name;
  std::string driver = "bridge";
  bool internal = false, attachable = false, enable_ipv6 = false;
  std::map<std::string, std::string> labels, options;
};

// The engine's create bodies, for the newest API; the client leaves out what an older
// engine rejects (Client::create_container).
nlohmann::json create_body(const ContainerSpec& spec);
nlohmann::json create_body(const NetworkSpec& spec);

}  // namespace biodev::docker
