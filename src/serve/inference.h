// `biodev serve inference`: a mock CPU model server with OpenAI-style endpoints, for
// apps that need an embeddings/classification service that behaves like the real one
// (shapes, errors, latency, failures) without a model.
//
//   GET  /health         200 {"status":"ok","model":...,"dim":...}
//   POST /v1/embeddings  OpenAI embeddings: {"input": "text" | ["a","b"], "model"?,
//                        "dimensions"?, "encoding_format"?: "float"|"base64"}
//   POST /v1/predict     {"inputs": ["text", ...]} (or "input") -> sentiment-style labels
//   GET  /v1/models      OpenAI model list with the one model
//   GET  /metrics        Prometheus text
//
// Everything is deterministic: the same text gives the same vector and prediction on
// every run and machine, and injected failures and latencies follow a request counter.
#pragma once

#include <array>
#include <atomic>
#include <string>
#include <string_view>
#include <vector>

#include "serve/metrics.h"
#include "serve/server.h"

namespace biodev::serve {

struct InferenceConfig {
  std::string host = "0.0.0.0";
  int port = 8000;  // INFERENCE_PORT
  int threads = 0;  // BIODEV_SERVE_THREADS; 0 = hardware threads
  int dim = 384;    // INFERENCE_DIM
  // INFERENCE_LATENCY_MS: "50" (fixed) or "20-80" (per request, uniform in the range).
  int latency_min_ms = 0, latency_max_ms = 0;
  // INFERENCE_FAILURE_RATE in [0, 1]: that fraction of /v1/* requests answers 503.
  double failure_rate = 0;
  std::string model = "biodev-mock-embed";  // INFERENCE_MODEL

  // Reads the variables named above; throws UsageError on malformed values.
  static InferenceConfig from_env();
};

// The embedding of `text`: a unit vector (L2 norm 1) of `dim` components. SHA-256 of the
// text seeds a xoshiro256** stream; each component is a sum of four uniforms (a
// Gaussian-ish value using only exact IEEE arithmetic, so results match bit for bit on
// every machine), then the vector is normalized and rounded to 8 decimals. The first k
// components of a longer vector, renormalized, give the k-dimensional one.
std::vector<double> embed_text(std::string_view text, int dim);

struct Prediction {
  std::string label;               // "positive" | "negative" | "neutral"
  double score = 0;                // the label's score
  std::array<double, 3> scores{};  // positive, negative, neutral; sum to 1 (4 decimals)
};
// A fixed pseudo-random prediction derived from SHA-256 of the text.
Prediction predict_text(std::string_view text);

// Failure injection: /v1/* request number n (counting from 1 in arrival order) fails
// when floor(n * rate) > floor((n - 1) * rate), rate in parts per million. Over any N
// consecutive requests exactly floor-or-ceil(N * rate) fail, evenly spread, with no RNG.
bool injected_failure(uint64_t n, double rate);

// The endpoints above as a pure handler; thread-safe (the counters are atomics).
class InferenceService {
 public:
  explicit InferenceService(InferenceConfig config);

  Reply handle(const Request& req);
  std::string metrics_text() const;

 private:
  Reply route(const Request& req, std::string_view& route_name);
  Reply embeddings(const Request& req);
  Reply predict(const Request& req);
  Reply health() const;
  Reply models() const;
  std::chrono::milliseconds latency_for(uint64_t n) const;

  InferenceConfig config_;
  std::atomic<uint64_t> v1_requests_{0};
  std::atomic<uint64_t> failures_{0};
  std::atomic<uint64_t> vectors_{0};
  RequestMetrics metrics_{"biodev_inference"};
};

// Serves until SIGINT/SIGTERM; returns the exit code.
int run_inference_server(const InferenceConfig& config);

}  // namespace biodev::serve
