// S3 snapshots: every object of every bucket copied out into the snapshot folder (one
// file each, with an index of buckets, keys, content types and user metadata), and
// put back on restore. Lease buckets (lease-<id>-...) are the lease service's and left
// out either way.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "snapshot/stores.h"
#include "util/strings.h"

namespace biodev::snapshot {
namespace {

using nlohmann::json;
using store::s3_call;
using store::s3_failed;

bool lease_bucket(const std::string& b) { return !lease::id_of_bucket(b).empty(); }

std::vector<std::string> app_buckets(const seed::S3Target& t) {
  std::vector<std::string> out;
  for (const auto& b : store::s3_buckets(t))
    if (!lease_bucket(b)) out.push_back(b);
  return out;
}

// The object's body and what PUT needs to make it again.
json save_object(const seed::S3Target& t, const std::string& bucket, const std::string& key,
                 const std::string& file) {
  auto r = s3_call(t, "GET", "/" + bucket + "/" + key);
  if (r.status != 200) s3_failed("reading " + bucket + "/" + key, r);
  write_file(file, r.body);
  json meta = json::object();
  for (const auto& [name, value] : r.headers)
    if (to_lower(name).starts_with("x-amz-meta-")) meta[to_lower(name)] = value;
  return {{"bucket", bucket},
          {"key", key},
          {"bytes", r.body.size()},
          {"content_type", r.header("Content-Type")},
          {"meta", meta}};
}

void put_object(const seed::S3Target& t, const json& o, const std::string& dir, size_t i) {
  const std::string bucket = o.at("bucket"), key = o.at("key");
  seed::HttpHeaders headers;
  if (std::string ct = o.value("content_type", ""); !ct.empty())
    headers.emplace_back("Content-Type", ct);
  const json meta = o.value("meta", json::object());  // kept: items() refers to it
  for (const auto& [name, value] : meta.items())
    headers.emplace_back(name, value.get<std::string>());
  auto r = s3_call(t, "PUT", "/" + bucket + "/" + key, headers,
                   read_file(dir + "/s3/" + std::to_string(i)));
  if (r.status != 200) s3_failed("putting back " + bucket + "/" + key, r);
}

}  // namespace

StoreEntry s3_save(const lease::S3Store& s, const std::string& dir) {
  auto t = store::s3_target(s);
  std::filesystem::create_directories(dir + "/s3");
  json index = {{"buckets", json::array()}, {"objects", json::array()}};
  long long bytes = 0;
  for (const auto& bucket : app_buckets(t)) {
    index["buckets"].push_back(bucket);
    for (const auto& key : store::s3_keys(t, bucket)) {
      std::string file = dir + "/s3/" + std::to_string(index["objects"].size());
      json o = save_object(t, bucket, key, file);
      bytes += o["bytes"].get<long long>();
      index["objects"].push_back(std::move(o));
    }
  }
  write_file(dir + "/s3/index.json", index.dump(1));
  long long objects = static_cast<long long>(index["objects"].size());
  return {"s3", bytes, objects,
          std::to_string(index["buckets"].size()) + " buckets, " + std::to_string(objects) +
              " objects"};
}

void s3_restore(const lease::S3Store& s, const std::string& dir) {
  auto t = store::s3_target(s);
  json index = json::parse(read_file(dir + "/s3/index.json"));
  std::set<std::string> saved(index["buckets"].begin(), index["buckets"].end());
  for (const auto& bucket : app_buckets(t))
    if (!saved.count(bucket)) store::s3_drop_bucket(t, bucket);
  std::map<std::string, std::set<std::string>> keep;
  for (const auto& o : index["objects"]) keep[o["bucket"]].insert(o["key"]);
  for (const auto& bucket : saved) {
    auto r = s3_call(t, "PUT", "/" + bucket);
    if (r.status != 200 && r.status != 409) s3_failed("creating bucket " + bucket, r);
    for (const auto& key : store::s3_keys(t, bucket)) {
      if (keep[bucket].count(key)) continue;
      auto d = s3_call(t, "DELETE", "/" + bucket + "/" + key);
      if (d.status != 204 && d.status != 200 && d.status != 404)
        s3_failed("deleting " + bucket + "/" + key, d);
    }
  }
  for (size_t i = 0; i < index["objects"].size(); ++i) put_object(t, index["objects"][i], dir, i);
}

}  // namespace biodev::snapshot
