// Prometheus text exposition (format 0.0.4) for the serve endpoints' /metrics.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace biodev::serve {

// Content-Type of a /metrics reply.
inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

// Request counts by route and status and a latency histogram by route:
//   <prefix>_requests_total{route="...",status="200"}
//   <prefix>_request_duration_seconds_bucket{route="...",le="..."} (+ _sum, _count)
// Routes are the handler's route names ("/v1/embeddings"), not raw paths, so the
// label set stays small. Thread-safe.
class RequestMetrics {
 public:
  explicit RequestMetrics(std::string prefix);

  void observe(std::string_view route, int status, double seconds);
  // Both families with HELP/TYPE lines, routes and statuses in sorted order.
  std::string render() const;

  // Upper bounds of the histogram buckets, in seconds (+Inf implied).
  static const std::vector<double>& buckets();

 private:
  struct Histogram {
    std::vector<uint64_t> counts;  // per bucket, not cumulative; last = +Inf
    double sum = 0;
    uint64_t count = 0;
  };
  std::string prefix_;
  mutable std::mutex mu_;
  std::map<std::string, std::map<int, uint64_t>, std::less<>> requests_;
  std::map<std::string, Histogram, std::less<>> latency_;
};

// Appends "# HELP name help\n# TYPE name type\n".
void prom_family(std::string& out, std::string_view name, std::string_view type,
                 std::string_view help);
// Appends `name{labels} value\n`; labels is a list of key/value pairs, values escaped.
void prom_sample(std::string& out, std::string_view name,
                 const std::vector<std::pair<std::string_view, std::string_view>>& labels,
                 double value);
// A sample value as Prometheus writes it: shortest round-trip form, "+Inf", "NaN".
std::string prom_number(double v);

}  // namespace biodev::serve
