// EngineOps: what each kind of plan op does against the engine. An engine op is one
// Engine call when nothing is in the way; where the engine can be found mid-change it
// makes the few more calls that converge, and says so in its report:
//   - create network / container: a name left by an up killed mid-create is adopted
//     (network, by label) or replaced (container), inspecting until the engine shows it;
//   - start: a stray network of the same name is removed and the start retried once; a
//     container containerd refuses after an engine restart is recreated; the published
//     ports are read back (inspect) for the host probes;
//   - remove network: waits until the engine lets go of it.
// The gates probe from the host (health/wait.h) and seeding is handed to the seeder the
// command supplies. Failures throw with messages that name the service and say what to
// do.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "docker/client.h"
#include "health/probe.h"
#include "plan/desired.h"
#include "plan/plan.h"
#include "plan/state.h"
#include "util/progress.h"

namespace biodev::plan {

// What the seeder needs to reach a ready service from the host.
struct SeedRequest {
  const profile::Service* service = nullptr;
  std::string container_id;
  std::string host;  // where the probe port answered
  std::map<int, int> published;  // container port -> host port
};
using Seeder = std::function<void(const SeedRequest&)>;

struct ApplyContext {
  docker::Client* client = nullptr;
  const profile::Profile* profile = nullptr;  // null for down
  const DesiredState* desired = nullptr;      // null for down
  const ObservedState* observed = nullptr;
  DesiredOptions desired_options;
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  const std::atomic<bool>* cancel = nullptr;
  progress::Reporter* reporter = nullptr;
  Seeder seeder;
};

class EngineOps {
 public:
  explicit EngineOps(ApplyContext ctx);
  void run(const Op& op);

  // After a run: where each service's ports ended up (container port -> host port).
  std::map<int, int> published(const std::string& service) const;
  std::string container_id(const std::string& service) const;
  // After a down: networks the engine would not remove though nothing used them
  // (docker::NetworkKeptByEngine), left in place with a warning.
  std::vector<std::string> networks_kept() const;

 private:
  void create_network(const Op& op);
  void create_volume(const Op& op);
  void create(const Op& op);
  void start(const Op& op);
  void await_ready(const Op& op);
  void await_completed(const Op& op);
  void seed(const Op& op);
  void remove_data_dir(const Op& op);
  // Re-inspects until the port map is filled (moby#42860), records it.
  void record_ports(const std::string& service, const std::string& id);
  const profile::Service& service(const std::string& name) const;
  std::string network_id(const std::string& full_name) const;
  docker::ContainerSpec spec_with_network_ids(const DesiredContainer& d) const;
  // Who holds a container name that a create was refused for.
  enum class NameHolder { kThisProject, kOther, kNoneVisible };
  NameHolder name_holder(const std::string& container_name) const;
  // Removes project networks whose name we use but whose id is not the one we use.
  void remove_duplicate_networks();
  std::string last_logs(const std::string& id, int lines) const;
  void report(const std::string& subject, const std::string& state, const std::string& detail = {},
              double seconds = -1, bool error = false) const;

  ApplyContext ctx_;
  mutable std::mutex mu_;
  std::map<std::string, std::string> ids_;  // service -> container id
  std::map<std::string, std::vector<docker::PortBinding>> ports_;
  std::map<std::string, std::string> ips_;  // service -> address on its first network
  std::map<std::string, std::string> probe_host_;  // service -> host the probe reached
  std::map<std::string, std::string> net_ids_;     // engine network name -> id
  std::vector<std::string> networks_kept_;
};

// Probe target for a service from the host: the published port of spec.port at the
// engine's reach host (docker::reach_address), else the container's bridge IP, which a
// Linux host reaches only when the engine runs on it (reach is 127.0.0.1). Returns
// nullopt when neither is known.
std::optional<health::ProbeTarget> host_probe_target(const profile::ProbeSpec& spec,
                                                     const std::vector<docker::PortBinding>& ports,
                                                     const std::string& bridge_ip,
                                                     const std::string& reach = "127.0.0.1");

}  // namespace biodev::plan
