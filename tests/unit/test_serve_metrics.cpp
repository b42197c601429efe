#include <doctest/doctest.h>

#include <cmath>

#include "serve/metrics.h"

using namespace biodev::serve;

TEST_CASE("RequestMetrics renders the Prometheus text format") {
  RequestMetrics m("t");
  m.observe("/b", 200, 0.002);
  m.observe("/a", 503, 0.3);
  m.observe("/b", 200, 0.004);
  m.observe("/b", 404, 20);
  const char* golden =
      "# HELP t_requests_total Requests answered, by route and HTTP status.\n"
      "# TYPE t_requests_total counter\n"
      "t_requests_total{route=\"/a\",status=\"503\"} 1\n"
      "t_requests_total{route=\"/b\",status=\"200\"} 2\n"
      "t_requests_total{route=\"/b\",status=\"404\"} 1\n"
      "# HELP t_request_duration_seconds Time to answer a request, including added latency.\n"
      "# TYPE t_request_duration_seconds histogram\n"
      "t_request_duration_seconds_bucket{route=\"/a\",le=\"0.001\"} 0\n"
      "t_request_duration_seconds_bucket{route=\"/a\",le=\"0.0025\"} 0\n"
      "t_request_duration_seconds_bucket{route=\"/a\",le=\"0.005\"} 0\n"
      "t_request_duration_seconds_bucket{route=\"/a\",le=\"0.01\"} 0\n"
      "t_request_duration_seconds_bucket{route=\"/a\",le=\"0.025\"} 0\n"
      "t_request_duration_seconds_bucket{route=\"/a\",le=\"0.05\"} 0\n"
      "t_request_duration_seconds_bucket{route=\"/a\",le=\"0.1\"} 0\n"
      "t_request_duration_seconds_bucket{route=\"/a\",le=\"0.25\"} 0\n"
      "t_request_duration_seconds_bucket{route=\"/a\",le=\"0.5\"} 1\n"
      "t_request_duration_seconds_bucket{route=\"/a\",le=\"1\"} 1\n"
      "t_request_duration_seconds_bucket{route=\"/a\",le=\"2.5\"} 1\n"
      "t_request_duration_seconds_bucket{route=\"/a\",le=\"5\"} 1\n"
      "t_request_duration_seconds_bucket{route=\"/a\",le=\"10\"} 1\n"
      "t_request_duration_seconds_bucket{route=\"/a\",le=\"+Inf\"} 1\n"
      "t_request_duration_seconds_sum{route=\"/a\"} 0.3\n"
      "t_request_duration_seconds_count{route=\"/a\"} 1\n"
      "t_request_duration_seconds_bucket{route=\"/b\",le=\"0.001\"} 0\n"
      "t_request_duration_seconds_bucket{route=\"/b\",le=\"0.0025\"} 1\n"
      "t_request_duration_seconds_bucket{route=\"/b\",le=\"0.005\"} 2\n"
      "t_request_duration_seconds_bucket{route=\"/b\",le=\"0.01\"} 2\n"
      "t_request_duration_seconds_bucket{route=\"/b\",le=\"0.025\"} 2\n"
      "t_request_duration_seconds_bucket{route=\"/b\",le=\"0.05\"} 2\n"
      "t_request_duration_seconds_bucket{route=\"/b\",le=\"0.1\"} 2\n"
      "t_request_duration_seconds_bucket{route=\"/b\",le=\"0.25\"} 2\n"
      "t_request_duration_seconds_bucket{route=\"/b\",le=\"0.5\"} 2\n"
      "t_request_duration_seconds_bucket{route=\"/b\",le=\"1\"} 2\n"
      "t_request_duration_seconds_bucket{route=\"/b\",le=\"2.5\"} 2\n"
      "t_request_duration_seconds_bucket{route=\"/b\",le=\"5\"} 2\n"
      "t_request_duration_seconds_bucket{route=\"/b\",le=\"10\"} 2\n"
      "t_request_duration_seconds_bucket{route=\"/b\",le=\"+Inf\"} 3\n"
      "t_request_duration_seconds_sum{route=\"/b\"} 20.006\n"
      "t_request_duration_seconds_count{route=\"/b\"} 3\n";
  CHECK(m.render() == golden);
}

TEST_CASE("prom_sample escapes label values and formats numbers") {
  std::string out;
  prom_sample(out, "x", {{"k", "a\"b\\c\nd"}}, 1.5);
  CHECK(out == "x{k=\"a\\\"b\\\\c\\nd\"} 1.5\n");
  CHECK(prom_number(1e21) == "1e+21");
  CHECK(prom_number(INFINITY) == "+Inf");
  CHECK(prom_number(NAN) == "NaN");
  CHECK(prom_number(3) == "3");
}
