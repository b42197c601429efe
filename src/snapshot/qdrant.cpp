// Qdrant snapshots: the collection snapshot API (POST /collections/{name}/snapshots,
// downloaded, then deleted from the server), restored by upload
// (POST /collections/{name}/snapshots/upload?priority=snapshot), which Qdrant and the
// stand-in both answer. Lease collections (lease_<id>_...) are left out either way.
#include <nlohmann/json.hpp>

#include "seed/sigv4.h"
#include "snapshot/stores.h"

namespace biodev::snapshot {
namespace {

using nlohmann::json;
using store::qdrant_call;
using store::StoreFailure;

std::string path_of(const std::string& collection) {
  return "/collections/" + seed::sigv4::uri_encode(collection, true);
}

json ok_json(const seed::HttpResponse& r, const std::string& what) {
  json j = json::parse(r.body, nullptr, false);
  if (r.status != 200 || !j.is_object())
    throw StoreFailure("qdrant " + what + ": HTTP " + std::to_string(r.status) + " " +
                       r.body.substr(0, 200));
  return j;
}

std::vector<std::string> app_collections(const lease::QdrantStore& q) {
  json j = ok_json(qdrant_call(q, "GET", "/collections"), "listing collections");
  std::vector<std::string> out;
  for (const auto& c : j.value("/result/collections"_json_pointer, json::array())) {
    std::string name = c.value("name", "");
    if (!name.empty() && lease::id_of_collection(name).empty()) out.push_back(name);
  }
  return out;
}

std::string download_snapshot(const lease::QdrantStore& q, const std::string& c) {
  json made = ok_json(qdrant_call(q, "POST", path_of(c) + "/snapshots?wait=true"),
                      "making a snapshot of " + c);
  std::string snap = made.value("/result/name"_json_pointer, std::string());
  if (snap.empty()) throw StoreFailure("qdrant: the snapshot of " + c + " has no name");
  const std::string at = path_of(c) + "/snapshots/" + seed::sigv4::uri_encode(snap, true);
  auto r = qdrant_call(q, "GET", at);
  if (r.status != 200)
    throw StoreFailure("qdrant downloading snapshot " + snap + " of " + c + ": HTTP " +
                       std::to_string(r.status));
  qdrant_call(q, "DELETE", at + "?wait=true");  // the server's copy is not needed
  return r.body;
}

void upload_snapshot(const lease::QdrantStore& q, const std::string& c, const std::string& data) {
  const std::string boundary = "biodev-snapshot-5f0c2a";
  std::string body =
      "--" + boundary +
      "\r\nContent-Disposition: form-data; name=\"snapshot\"; "
      "filename=\"snapshot.snapshot\"\r\nContent-Type: application/octet-stream\r\n\r\n" +
      data + "\r\n--" + boundary + "--\r\n";
  ok_json(qdrant_call(q, "POST", path_of(c) + "/snapshots/upload?wait=true&priority=snapshot", body,
                      "multipart/form-data; boundary=" + boundary),
          "restoring collection " + c);
}

}  // namespace

StoreEntry qdrant_save(const lease::QdrantStore& q, const std::string& dir) {
  json index = json::array();
  long long bytes = 0;
  for (const auto& c : app_collections(q)) {
    std::string data = download_snapshot(q, c);
    std::string file = std::to_string(index.size()) + ".snapshot";
    write_file(dir + "/qdrant/" + file, data);
    bytes += static_cast<long long>(data.size());
    index.push_back({{"collection", c}, {"file", file}, {"bytes", data.size()}});
  }
  write_file(dir + "/qdrant/index.json", index.dump(1));
  long long n = static_cast<long long>(index.size());
  return {"qdrant", bytes, n, std::to_string(n) + " collections"};
}

void qdrant_restore(const lease::QdrantStore& q, const std::string& dir) {
  json index = json::parse(read_file(dir + "/qdrant/index.json"));
  // Dropped first: a snapshot cannot be restored over a collection of another vector
  // size, and collections made since the snapshot go.
  for (const auto& c : app_collections(q)) {
    auto r = qdrant_call(q, "DELETE", path_of(c) + "?wait=true");
    if (r.status != 200 && r.status != 404) ok_json(r, "deleting collection " + c);
  }
  for (const auto& e : index)
    upload_snapshot(q, e.at("collection"),
                    read_file(dir + "/qdrant/" + e.at("file").get<std::string>()));
}

}  // namespace biodev::snapshot
