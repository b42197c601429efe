// Turns the Profile into the exact Engine objects it means: network and container
// specs (docker/container_spec.h), and a config hash per container over everything the
// engine receives. Pure: the same profile and images always give byte-identical create
// bodies and hashes.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>

#include "plan/state.h"
#include "profile/model.h"

namespace biodev::plan {

struct DesiredOptions {
  std::map<std::string, ImageChoice> images;  // by service; missing = service.image, id ""
  // Which variant each service uses (offline variant chosen when "offline").
  // Services not listed use their base definition.
  std::set<std::string> services;  // empty = every service
  // For services with `gateway: true`: the JSON put in BIODEV_GATEWAY_SPEC.
  std::function<std::string(const profile::Profile&)> gateway_spec;
  // For an engine elsewhere: the address ports bound to loopback are published on
  // instead (docker::remote_publish_ip); "" = as the profile says.
  std::string loopback_publish_ip;
  // Shared network sandboxes (plan/sandbox.h): services grouped into one namespace per
  // group, each group's sandbox a container of `sandbox_image` running `serve sandbox`.
  bool shared_sandbox = false;
  // The engine runs on this machine, so services with watch: paths can be restarted in
  // place, by biodev-init mounted from here (plan/in_place_restart.h).
  bool in_place_restart = false;
  ImageChoice sandbox_image;
};

// The service definition in effect: the offline variant when its image choice says so.
const profile::Service& effective_service(const profile::Service& s, const DesiredOptions& o);

DesiredState desired_state(const profile::Profile& p, const DesiredOptions& o);

// The container spec for one service, before biodev's own labels (exposed for tests).
docker::ContainerSpec container_spec(const profile::Profile& p, const profile::Service& s, const ImageChoice& image,
                                     const DesiredOptions& o);

}  // namespace biodev::plan
