#include "plan/settle.h"

#include <chrono>
#include <map>
#include <thread>
#include <vector>

#include "plan/labels.h"

namespace biodev::plan {

namespace {

// The project's container events of these kinds from `since_s` until now.
std::vector<docker::ContainerEvent> project_events(docker::Client& client, const std::string& project,
                                                   long long since_s, std::vector<std::string> kinds) {
  return client.recent_container_events(
      {{"label", {std::string(labels::kProject) + "=" + project}}, {"event", std::move(kinds)}}, since_s);
}

// A stop signals SIGTERM (or the image's stop signal), then SIGKILL; other kills (a
// reload's SIGHUP) leave the container running.
bool is_stop_kill(const docker::ContainerEvent& e) {
  std::string sig = e.attribute("signal");
  return sig == "15" || sig == "9" || sig == "2" || sig == "3";
}

// The last of kill / die / start / destroy per container id, from the engine's events
// of the last minute.
std::map<std::string, std::string> last_lifecycle_events(docker::Client& client, const std::string& project) {
  long long now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::map<std::string, std::string> last;
  for (const auto& e : project_events(client, project, now - 60, {"kill", "die", "start", "destroy"})) {
    if (e.action == "kill" && !is_stop_kill(e)) continue;
    last[e.id] = e.action;
  }
  return last;
}

}  // namespace

bool has_stops_in_flight(docker::Client& client, const std::string& project, const ObservedState& observed) {
  bool running = false;
  for (const auto& c : observed.containers) {
    if (c.state == "removing") return true;
    running |= c.state == "running";
  }
  if (!running) return false;
  auto last = last_lifecycle_events(client, project);
  for (const auto& c : observed.containers) {
    auto it = last.find(c.id);
    if (c.state == "running" && it != last.end() && (it->second == "kill" || it->second == "die")) return true;
  }
  return false;
}

ObservedState settle_stops_in_flight(docker::Client& client, const std::string& project, ObservedState observed,
                                     std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline && has_stops_in_flight(client, project, observed)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    observed = observe(client, project);
  }
  return observed;
}

std::set<std::string> stopped_through_engine(docker::Client& client, const std::string& project,
                                             const std::set<std::string>& ids,
                                             std::chrono::system_clock::time_point since) {
  std::set<std::string> out, during;
  if (ids.empty()) return out;
  long long now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  long long since_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(since.time_since_epoch()).count();
  // In the engine's order: a start clears what a stop before it did, but for `since`.
  for (const auto& e : project_events(client, project, now - 300, {"kill", "start"})) {
    if (!ids.count(e.id)) continue;
    if (e.action == "start") {
      out.erase(e.id);
    } else if (is_stop_kill(e)) {
      out.insert(e.id);
      if (e.time_ns >= since_ns) during.insert(e.id);
    }
  }
  out.insert(during.begin(), during.end());
  return out;
}

}  // namespace biodev::plan
