#include "serve/lease_config.h"

#include <nlohmann/json.hpp>

#include <stdexcept>

#include "util/crypto.h"
#include "util/strings.h"

namespace biodev::lease {
namespace {

using nlohmann::json;

// The value at `key`, which must be there and of the type T reads from.
template <class T>
T need(const json& j, const char* section, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) throw std::invalid_argument(std::string(section) + "." + key + " is missing");
  try {
    return it->get<T>();
  } catch (const json::exception&) {
    throw std::invalid_argument(std::string(section) + "." + key + " has the wrong type");
  }
}

template <class T>
T opt(const json& j, const char* key, T fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  return it->get<T>();
}

const json* section(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return nullptr;
  if (!it->is_object()) throw std::invalid_argument(std::string(name) + " must be an object");
  return &*it;
}

std::string id_after(const std::string& name, std::string_view prefix, size_t tail_min) {
  if (!starts_with(name, prefix) || name.size() < prefix.size() + 10 + tail_min) return {};
  std::string id = name.substr(prefix.size(), 10);
  return valid_lease_id(id) ? id : std::string();
}

}  // namespace

json to_json(const LeaseConfig& c) {
  json j = json::object();
  if (c.postgres) {
    json scripts = json::array();
    for (const auto& s : c.postgres->scripts)
      scripts.push_back({{"name", s.name}, {"content", s.content}});
    j["postgres"] = {{"host", c.postgres->host},         {"port", c.postgres->port},
                     {"user", c.postgres->user},         {"password", c.postgres->password},
                     {"database", c.postgres->database}, {"scripts", scripts}};
  }
  if (c.redis)
    j["redis"] = {
        {"host", c.redis->host}, {"port", c.redis->port}, {"password", c.redis->password}};
  if (c.s3)
    j["s3"] = {{"host", c.s3->host},
               {"port", c.s3->port},
               {"access_key", c.s3->access_key},
               {"secret_key", c.s3->secret_key},
               {"region", c.s3->region},
               {"buckets", c.s3->buckets}};
  if (c.qdrant) {
    json cols = json::array();
    for (const auto& col : c.qdrant->collections)
      cols.push_back({{"name", col.name}, {"size", col.size}, {"distance", col.distance}});
    j["qdrant"] = {{"host", c.qdrant->host},
                   {"port", c.qdrant->port},
                   {"api_key", c.qdrant->api_key},
                   {"collections", cols}};
  }
  j["host_env"] = c.host_env;
  return j;
}

LeaseConfig config_from_json(const json& j) {
  if (!j.is_object()) throw std::invalid_argument("the configuration must be a JSON object");
  LeaseConfig c;
  if (const json* s = section(j, "postgres")) {
    PostgresStore pg;
    pg.host = need<std::string>(*s, "postgres", "host");
    pg.port = need<int>(*s, "postgres", "port");
    pg.user = need<std::string>(*s, "postgres", "user");
    pg.password = opt<std::string>(*s, "password", "");
    pg.database = need<std::string>(*s, "postgres", "database");
    for (const auto& f : opt<json>(*s, "scripts", json::array()))
      pg.scripts.push_back({need<std::string>(f, "postgres.scripts[]", "name"),
                            need<std::string>(f, "postgres.scripts[]", "content")});
    c.postgres = std::move(pg);
  }
  if (const json* s = section(j, "redis")) {
    c.redis = RedisStore{need<std::string>(*s, "redis", "host"), need<int>(*s, "redis", "port"),
                         opt<std::string>(*s, "password", "")};
  }
  if (const json* s = section(j, "s3")) {
    S3Store s3;
    s3.host = need<std::string>(*s, "s3", "host");
    s3.port = need<int>(*s, "s3", "port");
    s3.access_key = need<std::string>(*s, "s3", "access_key");
    s3.secret_key = need<std::string>(*s, "s3", "secret_key");
    s3.region = opt<std::string>(*s, "region", "us-east-1");
    s3.buckets = need<std::vector<std::string>>(*s, "s3", "buckets");
    for (const auto& b : s3.buckets)
      if (b.empty() || b.size() > 46)
        throw std::invalid_argument("s3 bucket \"" + b +
                                    "\": a leased copy's name would not be 3-63 characters");
    c.s3 = std::move(s3);
  }
  if (const json* s = section(j, "qdrant")) {
    QdrantStore q;
    q.host = need<std::string>(*s, "qdrant", "host");
    q.port = need<int>(*s, "qdrant", "port");
    q.api_key = opt<std::string>(*s, "api_key", "");
    for (const auto& col : opt<json>(*s, "collections", json::array()))
      q.collections.push_back({need<std::string>(col, "qdrant.collections[]", "name"),
                               need<int>(col, "qdrant.collections[]", "size"),
                               opt<std::string>(col, "distance", "Cosine")});
    c.qdrant = std::move(q);
  }
  c.host_env = opt<std::map<std::string, std::string>>(j, "host_env", {});
  return c;
}

std::string template_digest(const PostgresStore& pg) {
  std::string text;
  for (const auto& s : pg.scripts) text += s.name + '\0' + sha256_hex(s.content) + '\0';
  return sha256_hex(text).substr(0, 16);
}

std::string slice_digest(const LeaseConfig& c) {
  json j = to_json(c);
  j.erase("host_env");  // where the host reaches the stores does not change a slice
  return sha256_hex(j.dump()).substr(0, 16);
}

bool valid_lease_id(const std::string& id) {
  if (id.size() != 10) return false;
  for (char ch : id)
    if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) return false;
  return true;
}

std::string database_name(const std::string& id) { return kDatabasePrefix + id; }
std::string bucket_name(const std::string& id, const std::string& seeded) {
  return kBucketPrefix + id + "-" + seeded;
}
std::string collection_prefix(const std::string& id) { return kCollectionPrefix + id + "_"; }

std::string id_of_database(const std::string& name) {
  return name.size() == std::string_view(kDatabasePrefix).size() + 10
             ? id_after(name, kDatabasePrefix, 0)
             : "";
}
std::string id_of_bucket(const std::string& name) {
  std::string id = id_after(name, kBucketPrefix, 2);
  return !id.empty() && name[std::string_view(kBucketPrefix).size() + 10] == '-' ? id : "";
}
std::string id_of_collection(const std::string& name) {
  std::string id = id_after(name, kCollectionPrefix, 2);
  return !id.empty() && name[std::string_view(kCollectionPrefix).size() + 10] == '_' ? id : "";
}

std::string with_url_path(const std::string& url, const std::string& path) {
  size_t scheme = url.find("://");
  size_t host_start = scheme == std::string::npos ? 0 : scheme + 3;
  size_t query = url.find_first_of("?#", host_start);
  size_t slash = url.find('/', host_start);
  if (slash == std::string::npos || (query != std::string::npos && slash > query)) slash = query;
  std::string head = url.substr(0, slash == std::string::npos ? url.size() : slash);
  std::string tail = query == std::string::npos ? "" : url.substr(query);
  return head + "/" + path + tail;
}

std::map<std::string, std::string> lease_env(const LeaseConfig& c, const std::string& id,
                                             int redis_db) {
  std::map<std::string, std::string> env;
  auto host = [&](const char* key) -> std::string {
    auto it = c.host_env.find(key);
    return it == c.host_env.end() ? std::string() : it->second;
  };
  if (c.postgres && !host("DATABASE_URL").empty())
    env["DATABASE_URL"] = with_url_path(host("DATABASE_URL"), database_name(id));
  if (c.redis && !host("REDIS_URL").empty())
    env["REDIS_URL"] = with_url_path(host("REDIS_URL"), std::to_string(redis_db));
  if (c.s3) {
    std::vector<std::string> buckets;
    for (const auto& b : c.s3->buckets) buckets.push_back(bucket_name(id, b));
    env["S3_BUCKETS"] = join(buckets, ",");
    for (const char* k : {"S3_ENDPOINT", "S3_FORCE_PATH_STYLE", "AWS_ACCESS_KEY_ID",
                          "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"})
      if (!host(k).empty()) env[k] = host(k);
  }
  if (c.qdrant) {
    if (!host("QDRANT_URL").empty()) env["QDRANT_URL"] = host("QDRANT_URL");
    env["QDRANT_COLLECTION_PREFIX"] = collection_prefix(id);
  }
  return env;
}

}  // namespace biodev::lease
