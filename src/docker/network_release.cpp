#include "docker/network_release.h"

#include <thread>
#include <vector>

#include <fmt/format.h>

#include "docker/client.h"
#include "docker/errors.h"

namespace biodev::docker {
namespace {
constexpr std::chrono::milliseconds kEngineFaultPatience{2000};
}  // namespace

bool remove_network_when_free(Client& client, const std::string& id, std::chrono::milliseconds patience) {
  auto deadline = std::chrono::steady_clock::now() + patience;
  int retries_after_freeing = 0;
  auto none_left_since = std::chrono::steady_clock::time_point::max();  // no holder seen since
  for (;;) {
    try {
      client.remove_network(id);
      return true;
    } catch (const EngineError& e) {
      if (e.kind() == ErrorKind::kNotFound) return false;
      if (!is_network_in_use(e)) throw;
    }
    NetworkSummary net;
    try {
      net = client.inspect_network(id);
    } catch (const EngineError& e) {
      if (e.kind() == ErrorKind::kNotFound) return false;
      throw;
    }
    std::vector<std::string> holders;  // containers that exist: "name (state)"
    bool freed = false;                // an endpoint of a gone container disconnected
    for (const auto& [cid, endpoint_name] : net.endpoints) {
      try {
        ContainerInfo info = client.inspect_container(cid);
        holders.push_back(fmt::format("{} ({})", info.name.empty() ? cid : info.name,
                                      info.status.empty() ? "unknown" : info.status));
      } catch (const EngineError& e) {
        if (e.kind() != ErrorKind::kNotFound) throw;
        // An endpoint left behind by a container that is gone. With its container gone,
        // the engine finds the endpoint by its name (the container's), not by the key.
        const std::string& name = endpoint_name.empty() ? cid : endpoint_name;
        try {
          client.disconnect_network(id, name, true);
          freed = true;
        } catch (const EngineError& d) {
          // Gone meanwhile, or the name is now a live container's that is not on this
          // network: either way nothing of ours to free.
          if (d.kind() == ErrorKind::kUnreachable || d.kind() == ErrorKind::kTimeout) throw;
        }
      }
    }
    if (freed && holders.empty() && ++retries_after_freeing <= 3) continue;
    auto now = std::chrono::steady_clock::now();
    std::string name = net.name.empty() ? id : net.name;
    if (holders.empty()) {
      // Waited out for a moment only: an engine that still counts endpoints it no longer
      // has (or cannot disconnect) does so until it restarts.
      if (none_left_since == std::chrono::steady_clock::time_point::max()) none_left_since = now;
      if (now >= deadline || now - none_left_since >= kEngineFaultPatience) {
        std::string what = net.endpoints.empty()
                               ? "it lists no endpoint"
                               : fmt::format("{} endpoint(s) of containers that are gone would not disconnect",
                                             net.endpoints.size());
        throw NetworkKeptByEngine(
            name, fmt::format("network {} is kept by the engine: no container uses it, yet the engine "
                              "refuses to remove it ({}; moby#42119); restarting the engine releases it",
                              name, what));
      }
    } else {
      none_left_since = std::chrono::steady_clock::time_point::max();
      if (now >= deadline) {
        std::string names;
        for (const auto& h : holders) names += (names.empty() ? "" : ", ") + h;
        throw EngineError(ErrorKind::kConflict, 409,
                          fmt::format("network {} is still used by container {}: disconnect it from the network "
                                      "or remove it, then run the command again",
                                      name, names));
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(holders.empty() ? 20 : 100));
  }
}

}  // namespace biodev::docker
