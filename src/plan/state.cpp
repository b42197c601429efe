#include "plan/state.h"

#include <algorithm>

#include "plan/labels.h"


namespace biodev::plan {

const DesiredContainer* DesiredState::find(const std::string& service) const {
  for (const auto& c : containers)
    if (c.service == service) return &c;
  return nullptr;
}

bool ObservedContainer::is_sandbox() const { return labels.count(labels::kSandboxMembers) > 0; }

bool ObservedState::has_volume(const std::string& full_name) const {
  return std::find(volumes.begin(), volumes.end(), full_name) != volumes.end();
}

std::vector<const ObservedContainer*> ObservedState::for_service(const std::string& service) const {
  std::vector<const ObservedContainer*> out;
  for (const auto& c : containers)
    if (c.service == service) out.push_back(&c);
  return out;
}

std::string container_name(const std::string& project, const std::string& service) {
  return project + "-" + service;
}
std::string network_name(const std::string& project, const std::string& network) {
  return project + "_" + network;
}
std::string volume_name(const std::string& project, const std::string& volume) {
  return project + "_" + volume;
}

}  // namespace biodev::plan
