#include <doctest/doctest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "serve/inference.h"

using namespace biodev::serve;
using json = nlohmann::json;

namespace {

Request post(std::string target, std::string body) {
  Request r;
  r.method = "POST";
  r.target = std::move(target);
  r.body = std::move(body);
  return r;
}

Request get(std::string target) {
  Request r;
  r.method = "GET";
  r.target = std::move(target);
  return r;
}

double norm(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x * x;
  return std::sqrt(s);
}

}  // namespace

TEST_CASE("embed_text is deterministic, unit length and text-dependent") {
  auto a = embed_text("hello world", 384);
  CHECK(a.size() == 384);
  CHECK(a == embed_text("hello world", 384));
  CHECK(std::abs(norm(a) - 1.0) < 1e-6);
  auto b = embed_text("hello world!", 384);
  CHECK(a != b);
  double dot = 0;
  for (size_t i = 0; i < a.size(); ++i) dot += a[i] * b[i];
  CHECK(std::abs(dot) < 0.3);  // unrelated texts are nearly orthogonal in 384 dimensions
  CHECK(embed_text("x", 1).size() == 1);
  CHECK(std::abs(norm(embed_text("x", 1)) - 1.0) < 1e-9);
}

TEST_CASE("embed_text matches the recorded vector (same on every machine)") {
  auto v = embed_text("hello world", 8);
  std::vector<double> golden = {-0.45194743, 0.06801499,  0.51708503,  -0.35199268,
                                0.3170611,   -0.00702255, -0.43963994, 0.32554779};
  CHECK(v == golden);
}

TEST_CASE("POST /v1/embeddings returns OpenAI-shaped vectors") {
  InferenceConfig cfg;
  cfg.dim = 16;
  InferenceService svc(cfg);
  Reply r = svc.handle(post("/v1/embeddings", R"({"input":["a b c","d"],"model":"m1"})"));
  REQUIRE(r.status == 200);
  json j = json::parse(r.body);
  CHECK(j["object"] == "list");
  CHECK(j["model"] == "m1");
  REQUIRE(j["data"].size() == 2);
  CHECK(j["data"][1]["index"] == 1);
  CHECK(j["data"][0]["object"] == "embedding");
  CHECK(j["data"][0]["embedding"].size() == 16);
  CHECK(j["data"][0]["embedding"].get<std::vector<double>>() == embed_text("a b c", 16));
  CHECK(j["usage"]["prompt_tokens"] == 4);
  CHECK(j["usage"]["total_tokens"] == 4);

  SUBCASE("a single string and the dimensions override") {
    json k =
        json::parse(svc.handle(post("/v1/embeddings", R"({"input":"x","dimensions":5})")).body);
    CHECK(k["data"].size() == 1);
    CHECK(k["data"][0]["embedding"].size() == 5);
    CHECK(k["model"] == "biodev-mock-embed");
  }
  SUBCASE("base64 encoding carries float32 values") {
    json k = json::parse(
        svc.handle(post("/v1/embeddings", R"({"input":"x","encoding_format":"base64"})")).body);
    CHECK(k["data"][0]["embedding"].get<std::string>().size() == 4 * ((16 * 4 + 2) / 3));
  }
  SUBCASE("token id arrays are accepted") {
    Reply t = svc.handle(post("/v1/embeddings", R"({"input":[1,2,3]})"));
    CHECK(t.status == 200);
    CHECK(json::parse(t.body)["usage"]["prompt_tokens"] == 3);
  }
}

TEST_CASE("bad embedding requests get 400 with an OpenAI error body") {
  InferenceService svc(InferenceConfig{});
  for (const char* body :
       {"not json", "{}", R"({"input":""})", R"({"input":[]})", R"({"input":5})",
        R"({"input":"x","dimensions":0})", R"({"input":"x","encoding_format":"hex"})"}) {
    CAPTURE(body);
    Reply r = svc.handle(post("/v1/embeddings", body));
    CHECK(r.status == 400);
    json j = json::parse(r.body);
    CHECK(j["error"]["type"] == "invalid_request_error");
    CHECK(!j["error"]["message"].get<std::string>().empty());
  }
  CHECK(svc.handle(get("/v1/embeddings")).status == 405);
  CHECK(svc.handle(get("/nope")).status == 404);
}

TEST_CASE("POST /v1/predict is deterministic and well formed") {
  InferenceService svc(InferenceConfig{});
  Reply r = svc.handle(post("/v1/predict", R"({"inputs":["good","bad","meh"]})"));
  REQUIRE(r.status == 200);
  json j = json::parse(r.body);
  REQUIRE(j["predictions"].size() == 3);
  for (const auto& p : j["predictions"]) {
    double sum = p["scores"]["positive"].get<double>() + p["scores"]["negative"].get<double>() +
                 p["scores"]["neutral"].get<double>();
    CHECK(std::abs(sum - 1.0) < 2e-4);
    std::string label = p["label"];
    CHECK(p["score"] == p["scores"][label]);
    for (const char* other : {"positive", "negative", "neutral"})
      CHECK(p["scores"][label].get<double>() >= p["scores"][other].get<double>());
  }
  CHECK(svc.handle(post("/v1/predict", R"({"input":"good"})"))
            .body.find(j["predictions"][0]["label"].get<std::string>()) != std::string::npos);
  CHECK(predict_text("good").scores == predict_text("good").scores);
  CHECK(svc.handle(post("/v1/predict", "{}")).status == 400);
}

TEST_CASE("failure injection follows the request counter exactly") {
  for (double rate : {0.0, 0.1, 0.25, 0.5, 1.0}) {
    InferenceConfig cfg;
    cfg.failure_rate = rate;
    cfg.dim = 4;
    InferenceService svc(cfg);
    int failed = 0;
    for (int i = 0; i < 1000; ++i) {
      Reply r = svc.handle(post("/v1/embeddings", R"({"input":"x"})"));
      if (r.status == 503) {
        ++failed;
        CHECK(json::parse(r.body)["error"]["type"] == "server_error");
      } else {
        CHECK(r.status == 200);
      }
    }
    CAPTURE(rate);
    CHECK(failed == static_cast<int>(std::lround(rate * 1000)));
    CHECK(svc.handle(get("/health")).status == 200);  // /health never fails
  }
  // Evenly spread: with rate 0.1 every tenth request fails.
  CHECK_FALSE(injected_failure(9, 0.1));
  CHECK(injected_failure(10, 0.1));
  CHECK(injected_failure(20, 0.1));
}

TEST_CASE("added latency is a delay in the reply, within the configured range") {
  InferenceConfig cfg;
  cfg.latency_min_ms = 20;
  cfg.latency_max_ms = 80;
  InferenceService svc(cfg);
  bool varied = false;
  long long first = -1;
  for (int i = 0; i < 50; ++i) {
    auto d = svc.handle(post("/v1/embeddings", R"({"input":"x"})")).delay.count();
    CHECK(d >= 20);
    CHECK(d <= 80);
    if (first >= 0 && d != first) varied = true;
    first = d;
  }
  CHECK(varied);
  CHECK(svc.handle(get("/health")).delay.count() == 0);
}

TEST_CASE("GET /health and /metrics") {
  InferenceConfig cfg;
  cfg.model = "tiny";
  cfg.dim = 3;
  cfg.failure_rate = 1;
  InferenceService svc(cfg);
  json h = json::parse(svc.handle(get("/health")).body);
  CHECK(h == json{{"status", "ok"}, {"model", "tiny"}, {"dim", 3}});
  svc.handle(post("/v1/embeddings", R"({"input":"x"})"));
  Reply m = svc.handle(get("/metrics"));
  CHECK(m.status == 200);
  CHECK(m.content_type.starts_with("text/plain; version=0.0.4"));
  CHECK(m.body.find("biodev_inference_requests_total{route=\"/health\",status=\"200\"} 1\n") !=
        std::string::npos);
  CHECK(
      m.body.find("biodev_inference_requests_total{route=\"/v1/embeddings\",status=\"503\"} 1\n") !=
      std::string::npos);
  CHECK(m.body.find("biodev_inference_failures_injected_total 1\n") != std::string::npos);
  CHECK(m.body.find("biodev_inference_info{model=\"tiny\",dim=\"3\"} 1\n") != std::string::npos);
  CHECK(m.body.find("# TYPE biodev_inference_request_duration_seconds histogram\n") !=
        std::string::npos);
}

TEST_CASE("InferenceConfig::from_env reads and validates the knobs") {
  setenv("INFERENCE_DIM", "64", 1);
  setenv("INFERENCE_LATENCY_MS", "5-10", 1);
  setenv("INFERENCE_FAILURE_RATE", "0.2", 1);
  setenv("INFERENCE_MODEL", "m", 1);
  auto c = InferenceConfig::from_env();
  CHECK(c.dim == 64);
  CHECK(c.latency_min_ms == 5);
  CHECK(c.latency_max_ms == 10);
  CHECK(c.failure_rate == doctest::Approx(0.2));
  CHECK(c.model == "m");
  setenv("INFERENCE_LATENCY_MS", "7", 1);
  CHECK(InferenceConfig::from_env().latency_max_ms == 7);
  setenv("INFERENCE_LATENCY_MS", "10-5", 1);
  CHECK_THROWS(InferenceConfig::from_env());
  setenv("INFERENCE_LATENCY_MS", "0", 1);
  setenv("INFERENCE_FAILURE_RATE", "1.5", 1);
  CHECK_THROWS(InferenceConfig::from_env());
  for (const char* v :
       {"INFERENCE_DIM", "INFERENCE_LATENCY_MS", "INFERENCE_FAILURE_RATE", "INFERENCE_MODEL"})
    unsetenv(v);
}
