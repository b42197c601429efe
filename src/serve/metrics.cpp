#include "serve/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace biodev::serve {

RequestMetrics::RequestMetrics(std::string prefix) : prefix_(std::move(prefix)) {}

const std::vector<double>& RequestMetrics::buckets() {
  static const std::vector<double> b = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                        0.25,  0.5,    1,     2.5,  5,     10};
  return b;
}

void RequestMetrics::observe(std::string_view route, int status, double seconds) {
  const auto& b = buckets();
  size_t slot = std::lower_bound(b.begin(), b.end(), seconds) - b.begin();
  std::lock_guard lock(mu_);
  auto r = requests_.find(route);
  if (r == requests_.end())
    r = requests_.emplace(std::string(route), std::map<int, uint64_t>{}).first;
  ++r->second[status];
  auto h = latency_.find(route);
  if (h == latency_.end()) {
    h = latency_.emplace(std::string(route), Histogram{}).first;
    h->second.counts.assign(b.size() + 1, 0);
  }
  ++h->second.counts[slot];
  h->second.sum += seconds;
  ++h->second.count;
}

std::string RequestMetrics::render() const {
  std::string out;
  std::lock_guard lock(mu_);
  std::string name = prefix_ + "_requests_total";
  prom_family(out, name, "counter", "Requests answered, by route and HTTP status.");
  for (const auto& [route, by_status] : requests_)
    for (const auto& [status, n] : by_status)
      prom_sample(out, name, {{"route", route}, {"status", std::to_string(status)}},
                  static_cast<double>(n));
  name = prefix_ + "_request_duration_seconds";
  prom_family(out, name, "histogram", "Time to answer a request, including added latency.");
  const auto& b = buckets();
  for (const auto& [route, h] : latency_) {
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= b.size(); ++i) {
      cumulative += h.counts[i];
      std::string le = i < b.size() ? prom_number(b[i]) : "+Inf";
      prom_sample(out, name + "_bucket", {{"route", route}, {"le", le}},
                  static_cast<double>(cumulative));
    }
    prom_sample(out, name + "_sum", {{"route", route}}, h.sum);
    prom_sample(out, name + "_count", {{"route", route}}, static_cast<double>(h.count));
  }
  return out;
}

void prom_family(std::string& out, std::string_view name, std::string_view type,
                 std::string_view help) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void prom_sample(std::string& out, std::string_view name,
                 const std::vector<std::pair<std::string_view, std::string_view>>& labels,
                 double value) {
  out += name;
  if (!labels.empty()) {
    out += '{';
    for (size_t i = 0; i < labels.size(); ++i) {
      if (i) out += ',';
      out += labels[i].first;
      out += "=\"";
      // The text format escapes backslash, double quote and newline in label values.
      for (char c : labels[i].second) {
        if (c == '\\' || c == '"')
          out += '\\', out += c;
        else if (c == '\n')
          out += "\\n";
        else
          out += c;
      }
      out += '"';
    }
    out += '}';
  }
  out += ' ';
  out += prom_number(value);
  out += '\n';
}

std::string prom_number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

}  // namespace biodev::serve
