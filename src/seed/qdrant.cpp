#include "seed/qdrant.h"

#include <nlohmann/json.hpp>

#include "seed/sigv4.h"
#include "util/strings.h"

namespace biodev::seed {
namespace {

using json = nlohmann::json;

HttpResponse call(const QdrantTarget& t, const std::string& method, const std::string& path,
                  const std::string& body = "") {
  HttpRequest req;
  req.method = method;
  req.target = path;
  req.body = body;
  if (!body.empty()) req.headers.emplace_back("Content-Type", "application/json");
  if (!t.api_key.empty()) req.headers.emplace_back("api-key", t.api_key);
  return http_request(t.host, t.port, req, t.timeout);
}

// Qdrant's error envelope: {"status":{"error":"..."}}; otherwise a bit of the body.
std::string error_text(const HttpResponse& r) {
  std::string s = "HTTP " + std::to_string(r.status);
  json j = json::parse(r.body, nullptr, false);
  if (j.is_object() && j.contains("status") && j["status"].is_object() &&
      j["status"].contains("error") && j["status"]["error"].is_string())
    return s + " (" + j["status"]["error"].get<std::string>() + ")";
  std::string body = trim(r.body.substr(0, 200));
  return body.empty() ? s : s + " (" + body + ")";
}

std::string describe(int size, const std::string& distance) {
  return "size " + std::to_string(size) + ", " + distance;
}

// Checks an existing collection's single unnamed vector against the profile.
void compare(const profile::Collection& want, const HttpResponse& r) {
  const std::string what = "collection " + want.name;
  json j = json::parse(r.body, nullptr, false);
  const json* vectors = nullptr;
  if (j.is_object()) {
    auto p = json::json_pointer("/result/config/params/vectors");
    if (j.contains(p)) vectors = &j.at(p);
  }
  if (!vectors || !vectors->is_object())
    throw SeedFailure(what + ": exists, but Qdrant's reply has no result.config.params.vectors");
  if (!vectors->contains("size")) {
    throw SeedFailure(what + ": exists with named vectors; the profile expects one unnamed " +
                      "vector (" + describe(want.size, want.distance) + ")");
  }
  const json& size = (*vectors)["size"];
  const json& distance = vectors->value("distance", json());
  int have_size = size.is_number_integer() ? size.get<int>() : -1;
  std::string have_distance = distance.is_string() ? distance.get<std::string>() : "?";
  if (have_size == want.size && to_lower(have_distance) == to_lower(want.distance)) return;
  throw SeedFailure(what + ": exists with " + describe(have_size, have_distance) +
                    " but the profile wants " + describe(want.size, want.distance) +
                    "; biodev does not drop data: delete the collection yourself, or change" +
                    " the profile");
}

}  // namespace

Outcome ensure_collection(const QdrantTarget& target, const profile::Collection& collection,
                          const Progress& progress) {
  const std::string what = "collection " + collection.name;
  const std::string path = "/collections/" + sigv4::uri_encode(collection.name, true);
  HttpResponse got = call(target, "GET", path);
  if (got.status == 200) {
    compare(collection, got);
    return Outcome::kUnchanged;
  }
  if (got.status == 401 || got.status == 403)
    throw SeedFailure(what + ": Qdrant refused the request (" + error_text(got) +
                      "); check the service's API key");
  if (got.status != 404) throw SeedFailure(what + ": GET " + path + " answered " + error_text(got));

  if (progress) progress(what);
  json body = {{"vectors", {{"size", collection.size}, {"distance", collection.distance}}}};
  HttpResponse put = call(target, "PUT", path, body.dump());
  if (put.status == 200) return Outcome::kCreated;
  if (put.status == 409) {
    // Created by someone else since the GET: fine if it matches.
    compare(collection, call(target, "GET", path));
    return Outcome::kUnchanged;
  }
  throw SeedFailure(what + ": creating it failed with " + error_text(put));
}

SeedSummary seed_qdrant(const QdrantTarget& target,
                        const std::vector<profile::Collection>& collections,
                        const Progress& progress) {
  SeedSummary summary;
  for (const auto& c : collections) {
    Outcome o;
    try {
      o = ensure_collection(target, c, progress);
    } catch (const HttpError& e) {
      throw SeedFailure("collection " + c.name + ": " + e.what());
    }
    if (o == Outcome::kCreated) {
      ++summary.applied;
      summary.notes.push_back("created collection " + c.name + " (" + describe(c.size, c.distance) +
                              ")");
    } else {
      ++summary.unchanged;
      summary.notes.push_back("collection " + c.name + " exists");
    }
  }
  return summary;
}

}  // namespace biodev::seed
