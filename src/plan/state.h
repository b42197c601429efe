// The two inputs of reconcile(): what the profile wants (DesiredState, built from the
// Profile and the chosen images) and what the engine has (ObservedState, one snapshot
// of list calls filtered by the project label).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "docker/client.h"
#include "docker/container_spec.h"
#include "profile/model.h"

namespace biodev::plan {

using json = nlohmann::json;

// The image a service runs, decided before planning (images/select.h).
struct ImageChoice {
  std::string ref;       // "biodev/postgres:15"
  std::string id;        // "sha256:..." ("" only in tests)
  std::string variant;   // "upstream" or "offline"
  // The image's own Entrypoint and Cmd, where the plan needs them (a service restarted in
  // place: plan/in_place_restart.h), and whether they were read (else both are empty).
  std::vector<std::string> entrypoint, cmd;
  bool commands_known = false;
};

struct DesiredNetwork {
  std::string name;       // profile name: "bio_net"
  std::string full_name;  // engine name: "<project>_bio_net"
  docker::NetworkSpec spec;
};

struct DesiredVolume {
  std::string name;
  std::string full_name;
};

struct DesiredContainer {
  std::string service;
  std::string name;  // "<project>-<service>"
  docker::ContainerSpec spec;  // what POST /containers/create receives, labels included
  std::string config_hash;
  // Networks beyond the first are joined by a connect call after create (API < 1.44
  // accepts one endpoint at create time).
  std::vector<std::pair<std::string, std::vector<std::string>>> extra_networks;  // full name, aliases
  std::vector<std::string> depends_started, depends_healthy, depends_completed;
  bool has_seed = false;
  bool has_probe = false;
  // Readiness takes seconds after start (a database that initialises its data folder):
  // its start goes to the engine before the others of its wave (see reconcile_up).
  bool slow_ready = false;
  int stop_grace_s = 2;
  // Shared network sandboxes: on a member, the service key of its sandbox
  // ("sandbox:postgres"); on a sandbox, is_sandbox (it has no probe and no gate).
  std::string sandbox;
  bool is_sandbox = false;
};

struct DesiredState {
  std::string project;
  std::vector<DesiredNetwork> networks;
  std::vector<DesiredVolume> volumes;
  std::vector<DesiredContainer> containers;  // profile order
  const DesiredContainer* find(const std::string& service) const;
};

struct ObservedContainer {
  std::string id;
  std::string name;
  std::string service;
  std::string config_hash;
  std::string state;  // running, exited, created, ...
  std::string variant;
  std::map<std::string, std::string> labels;
  std::vector<docker::PortBinding> ports;
  std::string status;  // "Up 3 minutes (healthy)"
  std::string image;
  std::string ip;  // on its first network (by name), while it runs
  // A member of a shared sandbox: the sandbox's service key; its ports and ip above are
  // the sandbox's (its own container ports only).
  std::string sandbox;
  // A shared sandbox itself (it holds a namespace; no service of the profile).
  bool is_sandbox() const;
};

struct ObservedState {
  std::vector<ObservedContainer> containers;
  std::map<std::string, std::string> networks;  // full name -> id (the oldest of duplicates)
  // Further networks of a name already in `networks`: the engine allows duplicate names,
  // and a killed `up` can leave one behind (its create landed after the next observe).
  std::vector<std::pair<std::string, std::string>> duplicate_networks;  // full name, id
  std::vector<std::string> volumes;             // full names
  std::string reach_host = "127.0.0.1";         // where published ports are reached (Client::reach_host)
  bool has_network(const std::string& full_name) const { return networks.count(full_name) > 0; }
  bool has_volume(const std::string& full_name) const;
  std::vector<const ObservedContainer*> for_service(const std::string& service) const;
};

// One snapshot: three list calls filtered by dev.biodev.project=<project>.
ObservedState observe(docker::Client& client, const std::string& project);
// Gives each member of a shared sandbox its sandbox's ports and address (observe does).
void inherit_sandbox_ports(ObservedState& s);

// Engine object names.
std::string container_name(const std::string& project, const std::string& service);
std::string network_name(const std::string& project, const std::string& network);
std::string volume_name(const std::string& project, const std::string& volume);

}  // namespace biodev::plan
