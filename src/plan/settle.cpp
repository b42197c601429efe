#include "plan/settle.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <sstream>
#include <thread>

#include "plan/labels.h"

namespace biodev::plan {

namespace {

// The last of kill / die / start / destroy per container id, from the engine's events
// of the last minute (a bounded query: `until` makes the stream end).
std::map<std::string, std::string> last_lifecycle_events(docker::Client& client, const std::string& project) {
  // `until` as seconds.nanoseconds of now: a whole second rounded up makes the engine
  // hold the stream open until that second has passed (up to a second per `up`).
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  long long now = ns / 1'000'000'000;
  char until[32];
  std::snprintf(until, sizeof until, "%lld.%09lld", now, static_cast<long long>(ns % 1'000'000'000));
  nlohmann::json filters = {{"type", {"container"}},
                            {"label", {std::string(labels::kProject) + "=" + project}},
                            {"event", {"kill", "die", "start", "destroy"}}};
  std::string path = "/events?since=" + std::to_string(now - 60) + "&until=" + until +
                     "&filters=" + docker::url_encode(filters.dump());
  docker::HttpResponse r = client.call("GET", path, nullptr, std::chrono::seconds(10));
  std::map<std::string, std::string> last;
  if (r.status >= 300) return last;  // no events: plan on the snapshot as it is
  std::istringstream lines(r.body);
  for (std::string line; std::getline(lines, line);) {
    auto e = nlohmann::json::parse(line, nullptr, false);
    if (!e.is_object() || !e.contains("id")) continue;
    std::string action = e.value("Action", e.value("status", ""));
    // A stop signals SIGTERM (or the image's stop signal), then SIGKILL; other kills
    // (a reload's SIGHUP) leave the container running.
    if (action == "kill") {
      std::string sig = e["Actor"]["Attributes"].value("signal", "");
      if (sig != "15" && sig != "9" && sig != "2" && sig != "3") continue;
    }
    last[e.value("id", "")] = action;
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
    if (c.state == "running" && it != last.end() && it->second == "kill") return true;
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

}  // namespace biodev::plan
