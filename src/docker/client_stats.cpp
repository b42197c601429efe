// Client endpoints for container resource use: GET /containers/{id}/stats.
#include <fmt/format.h>

#include "docker/client.h"
#include "docker/client_json.h"
#include "docker/errors.h"

namespace biodev::docker {
namespace {

long long number(const json& j, std::initializer_list<const char*> path) {
  const json* at = &j;
  for (const char* key : path) {
    if (!at->is_object()) return 0;
    auto it = at->find(key);
    if (it == at->end()) return 0;
    at = &*it;
  }
  return at->is_number() ? at->get<long long>() : 0;
}

}  // namespace

ContainerStats parse_stats(const json& s) {
  ContainerStats out;
  // A container that is not running answers with zeroed readings and no read time.
  out.running = s.is_object() && s.value("read", "").rfind("0001-01-01", 0) != 0 &&
                number(s, {"cpu_stats", "cpu_usage", "total_usage"}) > 0;
  const double cpu = static_cast<double>(number(s, {"cpu_stats", "cpu_usage", "total_usage"}) -
                                         number(s, {"precpu_stats", "cpu_usage", "total_usage"}));
  const double system = static_cast<double>(number(s, {"cpu_stats", "system_cpu_usage"}) -
                                            number(s, {"precpu_stats", "system_cpu_usage"}));
  long long cpus = number(s, {"cpu_stats", "online_cpus"});
  if (cpus == 0 && s.contains("cpu_stats") && s["cpu_stats"].contains("cpu_usage")) {
    const json& per = s["cpu_stats"]["cpu_usage"]["percpu_usage"];
    if (per.is_array()) cpus = static_cast<long long>(per.size());
  }
  if (cpu > 0 && system > 0)
    out.cpu_percent = cpu / system * static_cast<double>(std::max(cpus, 1LL)) * 100.0;
  // As the docker CLI: usage minus the inactive file cache (cgroup v1 and v2 names).
  const long long usage = number(s, {"memory_stats", "usage"});
  long long cache = number(s, {"memory_stats", "stats", "total_inactive_file"});
  if (cache == 0 || cache >= usage) cache = number(s, {"memory_stats", "stats", "inactive_file"});
  out.memory_bytes = cache < usage ? usage - cache : usage;
  out.memory_limit = number(s, {"memory_stats", "limit"});
  if (auto nets = s.find("networks"); nets != s.end() && nets->is_object())
    for (const auto& [name, n] : nets->items()) {
      out.net_rx += number(n, {"rx_bytes"});
      out.net_tx += number(n, {"tx_bytes"});
    }
  out.pids = number(s, {"pids_stats", "current"});
  return out;
}

ContainerStats Client::stats(const std::string& id) {
  HttpResponse r = call("GET", "/containers/" + url_encode(id) + "/stats?stream=false");
  check(r, fmt::format("stats of container {}", id));
  return parse_stats(detail::parse_json(r, "stats"));
}

void Client::stats_stream(const std::string& id,
                          const std::function<bool(const ContainerStats&)>& sink) {
  HttpRequest req;
  req.target = path("/containers/" + url_encode(id) + "/stats?stream=true");
  req.timeout = 30s;  // a sample comes every second while the container runs
  bool stopped = false;
  JsonLinesDecoder decoder([&](const json& sample) {
    if (!stopped && !sink(parse_stats(sample))) stopped = true;
  });
  HttpResponse r = transport_->stream(req, [&](std::string_view chunk) {
    decoder.feed(chunk);
    return !stopped;
  });
  check(r, fmt::format("stats of container {}", id));
}

}  // namespace biodev::docker
