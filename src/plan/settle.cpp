#include "plan/settle.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <sstream>
#include <thread>
#include <vector>

#include "plan/labels.h"

namespace biodev::plan {

namespace {

// The project's container events from `since_s` (seconds since the epoch) until now,
// one JSON document each (a bounded query: `until` makes the stream end).
std::vector<nlohmann::json> recent_events(docker::Client& client, const std::string& project, long long since_s,
                                          const nlohmann::json& extra_filters) {
  // `until` as seconds.nanoseconds of now: a whole second rounded up makes the engine
  // hold the stream open until that second has passed (up to a second per `up`).
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  char until[32];
  std::snprintf(until, sizeof until, "%lld.%09lld", static_cast<long long>(ns / 1'000'000'000),
                static_cast<long long>(ns % 1'000'000'000));
  nlohmann::json filters = {{"type", {"container"}}, {"label", {std::string(labels::kProject) + "=" + project}}};
  for (auto& [k, v] : extra_filters.items()) filters[k] = v;
  std::string path = "/events?since=" + std::to_string(since_s) + "&until=" + until +
                     "&filters=" + docker::url_encode(filters.dump());
  docker::HttpResponse r = client.call("GET", path, nullptr, std::chrono::seconds(10));
  std::vector<nlohmann::json> out;
  if (r.status >= 300) return out;  // no events: plan on the snapshot as it is
  std::istringstream lines(r.body);
  for (std::string line; std::getline(lines, line);) {
    auto e = nlohmann::json::parse(line, nullptr, false);
    if (e.is_object() && e.contains("id")) out.push_back(std::move(e));
  }
  return out;
}

// A stop signals SIGTERM (or the image's stop signal), then SIGKILL; other kills (a
// reload's SIGHUP) leave the container running.
bool is_stop_kill(const nlohmann::json& e) {
  std::string sig = e["Actor"]["Attributes"].value("signal", "");
  return sig == "15" || sig == "9" || sig == "2" || sig == "3";
}

std::string action_of(const nlohmann::json& e) { return e.value("Action", e.value("status", "")); }

// The last of kill / die / start / destroy per container id, from the engine's events
// of the last minute.
std::map<std::string, std::string> last_lifecycle_events(docker::Client& client, const std::string& project) {
  long long now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::map<std::string, std::string> last;
  for (const auto& e : recent_events(client, project, now - 60, {{"event", {"kill", "die", "start", "destroy"}}})) {
    std::string action = action_of(e);
    if (action == "kill" && !is_stop_kill(e)) continue;
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
  for (const auto& e : recent_events(client, project, now - 300, {{"event", {"kill", "start"}}})) {
    std::string id = e.value("id", "");
    if (!ids.count(id)) continue;
    if (action_of(e) == "start") {
      out.erase(id);
    } else if (is_stop_kill(e)) {
      out.insert(id);
      if (e.value("timeNano", 0LL) >= since_ns) during.insert(id);
    }
  }
  out.insert(during.begin(), during.end());
  return out;
}

}  // namespace biodev::plan
