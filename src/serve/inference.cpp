#include "serve/inference.h"

#include <bit>
#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "serve/f32_base64.h"
#include "util/crypto.h"
#include "util/error.h"

namespace biodev::serve {

using json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

namespace {

uint64_t load_le64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// xoshiro256** (Blackman & Vigna), seeded with the 32 bytes of a SHA-256 digest.
class Xoshiro {
 public:
  explicit Xoshiro(const std::string& digest) {
    auto* p = reinterpret_cast<const unsigned char*>(digest.data());
    for (int i = 0; i < 4; ++i) s_[i] = load_le64(p + 8 * i);
    if (!(s_[0] | s_[1] | s_[2] | s_[3])) s_[0] = 1;  // the one state it cannot leave
  }
  uint64_t next() {
    uint64_t result = std::rotl(s_[1] * 5, 7) * 9;
    uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = std::rotl(s_[3], 45);
    return result;
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t s_[4];
};

double round_to(double v, double scale) { return std::round(v * scale) / scale; }

Reply openai_error(int status, std::string_view message, std::string_view type,
                   const char* param = nullptr) {
  json err = {{"message", message}, {"type", type}, {"param", nullptr}, {"code", nullptr}};
  if (param) err["param"] = param;
  return Reply::json(status, json{{"error", err}}.dump());
}

Reply bad_request(std::string_view message, const char* param) {
  return openai_error(400, message, "invalid_request_error", param);
}

int count_words(std::string_view text) {
  int n = 0;
  bool in_word = false;
  for (unsigned char c : text) {
    bool space = std::isspace(c);
    if (!space && !in_word) ++n;
    in_word = !space;
  }
  return n;
}

// The texts of an "input"/"inputs" value: a string, an array of strings, or token id
// arrays (hashed by their JSON text). Returns an error message, "" when fine.
std::string collect_inputs(const json& v, std::vector<std::string>& texts, int& tokens) {
  auto add = [&](const json& item) -> std::string {
    if (item.is_string()) {
      const auto& s = item.get_ref<const std::string&>();
      if (s.empty()) return "input must not contain empty strings";
      texts.push_back(s);
      tokens += std::max(1, count_words(s));
      return "";
    }
    if (item.is_array() && !item.empty() &&
        std::all_of(item.begin(), item.end(),
                    [](const json& t) { return t.is_number_integer(); })) {
      texts.push_back(item.dump());
      tokens += static_cast<int>(item.size());
      return "";
    }
    return "input must be a string, an array of strings, or arrays of token ids";
  };
  if (!v.is_array() || (!v.empty() && v.front().is_number_integer())) return add(v);
  if (v.empty()) return "input must not be empty";
  if (v.size() > 2048) return "input must have at most 2048 items";
  for (const auto& item : v)
    if (auto err = add(item); !err.empty()) return err;
  return "";
}

}  // namespace

std::vector<double> embed_text(std::string_view text, int dim) {
  Xoshiro rng(sha256(text));
  std::vector<double> v(static_cast<size_t>(std::max(dim, 0)));
  double norm2 = 0;
  for (double& x : v) {
    x = rng.uniform() + rng.uniform() + rng.uniform() + rng.uniform() - 2.0;
    norm2 += x * x;
  }
  double norm = std::sqrt(norm2);
  if (norm == 0) return v;
  for (double& x : v) x = round_to(x / norm, 1e8);
  return v;
}

Prediction predict_text(std::string_view text) {
  static const char* kLabels[] = {"positive", "negative", "neutral"};
  Xoshiro rng(sha256(std::string("predict\n") + std::string(text)));
  std::array<double, 3> raw{};
  double total = 0;
  for (double& r : raw) {
    double u = 0.05 + rng.uniform();
    r = u * u * u;  // cubed so one label usually stands out, like a real classifier
    total += r;
  }
  Prediction p;
  size_t best = 0;
  for (size_t i = 0; i < 3; ++i) {
    p.scores[i] = round_to(raw[i] / total, 1e4);
    if (raw[i] > raw[best]) best = i;
  }
  p.label = kLabels[best];
  p.score = p.scores[best];
  return p;
}

bool injected_failure(uint64_t n, double rate) {
  if (n == 0 || rate <= 0) return false;
  auto ppm = static_cast<uint64_t>(std::llround(std::min(rate, 1.0) * 1e6));
  return (n * ppm) / 1000000 != ((n - 1) * ppm) / 1000000;
}

InferenceConfig InferenceConfig::from_env() {
  InferenceConfig c;
  c.port = static_cast<int>(env_int("INFERENCE_PORT", c.port, 1, 65535));
  c.threads = static_cast<int>(env_int("BIODEV_SERVE_THREADS", 0, 0, 1024));
  c.dim = static_cast<int>(env_int("INFERENCE_DIM", c.dim, 1, 65536));
  if (const char* m = std::getenv("INFERENCE_MODEL"); m && *m) c.model = m;
  if (const char* l = std::getenv("INFERENCE_LATENCY_MS"); l && *l) {
    std::string s = l;
    char *end = nullptr, *end2 = nullptr;
    long a = std::strtol(s.c_str(), &end, 10), b = a;
    if (*end == '-') b = std::strtol(end + 1, &end2, 10), end = end2;
    if (*end != '\0' || end == s.c_str() || a < 0 || b < a || b > 600000)
      throw UsageError("INFERENCE_LATENCY_MS=" + s + ": expected milliseconds, like 50 or 20-80");
    c.latency_min_ms = static_cast<int>(a);
    c.latency_max_ms = static_cast<int>(b);
  }
  if (const char* f = std::getenv("INFERENCE_FAILURE_RATE"); f && *f) {
    char* end = nullptr;
    c.failure_rate = std::strtod(f, &end);
    if (*end != '\0' || end == f || !(c.failure_rate >= 0 && c.failure_rate <= 1))
      throw UsageError(std::string("INFERENCE_FAILURE_RATE=") + f +
                       ": expected a number in [0, 1]");
  }
  return c;
}

InferenceService::InferenceService(InferenceConfig config) : config_(std::move(config)) {}

std::chrono::milliseconds InferenceService::latency_for(uint64_t n) const {
  int span = config_.latency_max_ms - config_.latency_min_ms;
  if (span <= 0) return std::chrono::milliseconds(config_.latency_min_ms);
  return std::chrono::milliseconds(config_.latency_min_ms +
                                   static_cast<int>(splitmix64(n) % (span + 1)));
}

Reply InferenceService::handle(const Request& req) {
  auto start = Clock::now();
  std::string_view route_name = "other";
  Reply reply = route(req, route_name);
  double seconds = std::chrono::duration<double>(Clock::now() - start).count() +
                   std::chrono::duration<double>(reply.delay).count();
  metrics_.observe(route_name, reply.status, seconds);
  return reply;
}

Reply InferenceService::route(const Request& req, std::string_view& route_name) {
  std::string_view path = req.path();
  bool get = req.method == "GET", post = req.method == "POST";
  if (path == "/health" && get) {
    route_name = "/health";
    return health();
  }
  if (path == "/metrics" && get) {
    route_name = "/metrics";
    return Reply::text(200, metrics_text(), kPrometheusContentType);
  }
  bool v1 = path.starts_with("/v1/");
  if (!v1) return openai_error(404, "no route for " + std::string(path), "not_found");

  uint64_t n = ++v1_requests_;
  Reply reply;
  if (injected_failure(n, config_.failure_rate)) {
    ++failures_;
    route_name = path;
    reply = openai_error(503, "injected failure (INFERENCE_FAILURE_RATE)", "server_error");
  } else if (path == "/v1/embeddings") {
    route_name = "/v1/embeddings";
    reply = post ? embeddings(req) : openai_error(405, "use POST", "invalid_request_error");
  } else if (path == "/v1/predict") {
    route_name = "/v1/predict";
    reply = post ? predict(req) : openai_error(405, "use POST", "invalid_request_error");
  } else if (path == "/v1/models") {
    route_name = "/v1/models";
    reply = models();
  } else {
    reply = openai_error(404, "no route for " + std::string(path), "not_found");
  }
  // Failed injections keep the route label only for known routes: bounded cardinality.
  if (route_name != "/v1/embeddings" && route_name != "/v1/predict" && route_name != "/v1/models")
    route_name = "other";
  reply.delay = latency_for(n);
  return reply;
}

Reply InferenceService::health() const {
  json body = {{"status", "ok"}, {"model", config_.model}, {"dim", config_.dim}};
  return Reply::json(200, body.dump());
}

Reply InferenceService::models() const {
  json model = {{"id", config_.model}, {"object", "model"}, {"created", 0}, {"owned_by", "biodev"}};
  return Reply::json(200, json{{"object", "list"}, {"data", json::array({model})}}.dump());
}

Reply InferenceService::embeddings(const Request& req) {
  json in = json::parse(req.body, nullptr, false);
  if (in.is_discarded() || !in.is_object())
    return bad_request("body is not a JSON object", nullptr);
  if (!in.contains("input")) return bad_request("'input' is required", "input");
  std::vector<std::string> texts;
  int tokens = 0;
  if (auto err = collect_inputs(in["input"], texts, tokens); !err.empty())
    return bad_request(err, "input");
  int dim = config_.dim;
  if (in.contains("dimensions")) {
    const auto& d = in["dimensions"];
    if (!d.is_number_integer() || d.get<long long>() < 1 || d.get<long long>() > 65536)
      return bad_request("'dimensions' must be an integer from 1 to 65536", "dimensions");
    dim = d.get<int>();
  }
  std::string format = in.value("encoding_format", std::string("float"));
  if (format != "float" && format != "base64")
    return bad_request("'encoding_format' must be \"float\" or \"base64\"", "encoding_format");
  json data = json::array();
  for (size_t i = 0; i < texts.size(); ++i) {
    auto v = embed_text(texts[i], dim);
    json vec = json(v);
    if (format == "base64") {
      std::vector<float> f(v.begin(), v.end());
      vec = encode_f32le_base64(f);
    }
    data.push_back({{"object", "embedding"}, {"index", i}, {"embedding", std::move(vec)}});
  }
  vectors_ += texts.size();
  std::string model = in.contains("model") && in["model"].is_string()
                          ? in["model"].get<std::string>()
                          : config_.model;
  json out = {{"object", "list"},
              {"data", std::move(data)},
              {"model", model},
              {"usage", {{"prompt_tokens", tokens}, {"total_tokens", tokens}}}};
  return Reply::json(200, out.dump());
}

Reply InferenceService::predict(const Request& req) {
  json in = json::parse(req.body, nullptr, false);
  if (in.is_discarded() || !in.is_object())
    return bad_request("body is not a JSON object", nullptr);
  const char* key = in.contains("inputs") ? "inputs" : "input";
  if (!in.contains(key)) return bad_request("'inputs' is required", "inputs");
  std::vector<std::string> texts;
  int tokens = 0;
  if (auto err = collect_inputs(in[key], texts, tokens); !err.empty()) return bad_request(err, key);
  json predictions = json::array();
  for (const auto& t : texts) {
    Prediction p = predict_text(t);
    predictions.push_back(
        {{"label", p.label},
         {"score", p.score},
         {"scores",
          {{"positive", p.scores[0]}, {"negative", p.scores[1]}, {"neutral", p.scores[2]}}}});
  }
  return Reply::json(
      200, json{{"predictions", std::move(predictions)}, {"model", config_.model}}.dump());
}

std::string InferenceService::metrics_text() const {
  std::string out = metrics_.render();
  prom_family(out, "biodev_inference_failures_injected_total", "counter",
              "Requests answered 503 by INFERENCE_FAILURE_RATE.");
  prom_sample(out, "biodev_inference_failures_injected_total", {},
              static_cast<double>(failures_.load()));
  prom_family(out, "biodev_inference_embeddings_total", "counter", "Embedding vectors returned.");
  prom_sample(out, "biodev_inference_embeddings_total", {}, static_cast<double>(vectors_.load()));
  prom_family(out, "biodev_inference_info", "gauge", "The mock model served.");
  prom_sample(out, "biodev_inference_info",
              {{"model", config_.model}, {"dim", std::to_string(config_.dim)}}, 1);
  return out;
}

int run_inference_server(const InferenceConfig& config) {
  InferenceService service(config);
  ServerOptions opt;
  opt.host = config.host;
  opt.port = config.port;
  opt.threads = config.threads;
  Server server(opt, [&service](const Request& r) { return service.handle(r); });
  std::string banner =
      "biodev inference (mock model " + config.model + ", dim " + std::to_string(config.dim) + ")";
  return serve_until_signal(server, banner);
}

}  // namespace biodev::serve
