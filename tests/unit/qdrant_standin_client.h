// Calls the Qdrant stand-in's handler directly, as a client would over HTTP, for the
// stand-in's unit tests.
#pragma once

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "serve/qdrant_standin.h"

namespace biodev::serve::testing {

using json = nlohmann::json;

struct Client {
  QdrantStore store;
  QdrantStandin standin{store};

  explicit Client(std::string dir = "") : store(std::move(dir)) {}

  Reply raw(std::string method, std::string target, std::string body = "", Headers headers = {}) {
    Request r;
    r.method = std::move(method);
    r.target = std::move(target);
    r.body = std::move(body);
    r.headers = std::move(headers);
    return standin.handle(r);
  }
  std::pair<int, json> call(std::string method, std::string target, const json& body = nullptr) {
    Reply reply = raw(std::move(method), std::move(target), body.is_null() ? "" : body.dump());
    json j = json::parse(reply.body, nullptr, false);
    if (j.is_discarded()) j = reply.body;
    return {reply.status, j};
  }
  json ok(std::string method, std::string target, const json& body = nullptr) {
    auto [status, j] = call(std::move(method), std::move(target), body);
    CHECK(status == 200);
    CHECK(j["status"] == "ok");
    CHECK(j["time"].is_number());
    return j["result"];
  }
  // The status and Qdrant's error message of a refused call.
  std::pair<int, std::string> error(std::string method, std::string target,
                                    const json& body = nullptr) {
    auto [status, j] = call(std::move(method), std::move(target), body);
    CHECK(j["status"]["error"].is_string());
    return {status, j["status"].value("error", "")};
  }
};

// Three points in a Cosine collection of size 3: 1 and 2 close together, the UUID apart.
inline json points3() {
  return {{"points",
           {{{"id", 1}, {"vector", {1, 0, 0}}, {"payload", {{"city", "Berlin"}, {"n", 1}}}},
            {{"id", 2}, {"vector", {0.9, 0.1, 0}}, {"payload", {{"city", "London"}, {"n", 2}}}},
            {{"id", "550E8400E29B41D4A716446655440000"},
             {"vector", {0, 0, 1}},
             {"payload", {{"city", "Berlin"}, {"n", 3}, {"tags", {"a", "b"}}}}}}}};
}

// A fresh, empty folder for this test process.
inline std::string temp_dir() {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("biodev-qdrant-test-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  return dir.string();
}

}  // namespace biodev::serve::testing
