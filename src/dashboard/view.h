// What `biodev ui` shows, as data: every service of the project with its container's
// state and health, published ports and seed result. Built from one snapshot and then
// kept current by applying the engine's container events to it. Pure: no engine here.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "docker/client.h"
#include "plan/state.h"

namespace biodev::dashboard {

struct PortView {
  int container_port = 0;
  std::string host;  // where this machine reaches it
  int host_port = 0;
};

struct ServiceView {
  std::string service;
  std::string container;  // "" when not created
  std::string id;
  std::string state = "not created";  // the engine's: running, exited, paused, ...
  std::string health;                 // healthy, unhealthy, starting; "" without a healthcheck
  std::string image;
  std::string variant;
  std::string stand_in;        // what it stands in for, "" when it is the real thing
  std::string substitute_for;  // the upstream image an offline substitute replaces
  std::vector<PortView> ports;
  std::string exit_code;  // of the last exit, "" while it runs
  int starts = 0;         // start events seen while the page was up (a crash loop counts up)
  std::string seed;       // seed::seed_result, "" when it has none
};

struct StackView {
  std::string project;
  bool engine_up = false;
  std::string engine_message;  // why it is not up
  std::vector<ServiceView> services;
  ServiceView* find(const std::string& service);
  ServiceView* find_container(const std::string& id);
};

// One entry per service of `order` (the profile's), then any other service the engine
// has for the project. Seeds and start counts are carried over from `previous`.
StackView view_from(const plan::ObservedState& obs, const std::string& project,
                    const std::vector<std::string>& order, const StackView* previous = nullptr);

enum class EventEffect {
  kNone,     // nothing shown changed
  kChanged,  // the view changed
  kRefresh,  // the view changed and ports or containers may have too: take a new snapshot
};

// Applies a container event of the project to the view.
EventEffect apply_event(StackView& view, const docker::ContainerEvent& event);

nlohmann::json to_json(const StackView& view);

// One server-sent event: "event: NAME\ndata: LINE\n" per line of `data`, then a blank line.
std::string sse_frame(const std::string& event, const std::string& data);

}  // namespace biodev::dashboard
