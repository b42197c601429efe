// What a lease service needs to know to cut slices of a stack, and the pure rules that
// name a slice's objects and the env a holder gets.
//
// `biodev up` (and `run`) build a LeaseConfig from the profile and the ports the engine
// published, and PUT it to the stack's lease service (`biodev serve leases`) once every
// service is ready: the stores as the service reaches them (service names on the
// stack's network), and the env as the machine that ran `biodev` reaches them (the
// resolved `exports:`). Nothing here does I/O.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "store/targets.h"

namespace biodev::lease {

// The stores a slice is cut from (store/targets.h).
using store::PostgresStore;
using store::QdrantCollection;
using store::QdrantStore;
using store::RedisStore;
using store::S3Store;
using store::Script;

struct LeaseConfig {
  std::optional<PostgresStore> postgres;
  std::optional<RedisStore> redis;
  std::optional<S3Store> s3;
  std::optional<QdrantStore> qdrant;
  // The stack's env as the host reaches it: DATABASE_URL, REDIS_URL, S3_ENDPOINT,
  // QDRANT_URL and the rest of `exports:`; a lease's env is derived from these.
  std::map<std::string, std::string> host_env;
};

nlohmann::json to_json(const LeaseConfig& config);
// Throws std::invalid_argument naming the field that is missing or of the wrong type.
LeaseConfig config_from_json(const nlohmann::json& j);

// A digest of everything a slice is cut from (scripts, buckets, collections): a ready
// slice made under another digest is stale and dropped.
std::string slice_digest(const LeaseConfig& config);
// A digest of the Postgres scripts alone: the template database is rebuilt when it moves.
std::string template_digest(const PostgresStore& pg);

// Lease ids are 10 lowercase hex characters; every object of a slice carries it.
bool valid_lease_id(const std::string& id);
inline constexpr const char* kTemplateDatabase = "biodev_lease_template";
inline constexpr const char* kDatabasePrefix = "biodev_lease_";
inline constexpr const char* kBucketPrefix = "lease-";
inline constexpr const char* kCollectionPrefix = "lease_";

std::string database_name(const std::string& id);                           // biodev_lease_<id>
std::string bucket_name(const std::string& id, const std::string& seeded);  // lease-<id>-<seeded>
std::string collection_prefix(const std::string& id);                       // lease_<id>_
// The lease id inside an object name made by the functions above; "" when not one.
std::string id_of_database(const std::string& name);
std::string id_of_bucket(const std::string& name);
std::string id_of_collection(const std::string& name);

// `url` with its path replaced by "/" + path, keeping scheme, user info, host, port
// and query ("postgresql://u:p@h:1/bio?sslmode=disable" -> ".../biodev_lease_x?...").
std::string with_url_path(const std::string& url, const std::string& path);

// The env handed to a lease holder: DATABASE_URL on the slice's database, REDIS_URL on
// its logical database, S3_ENDPOINT and S3_BUCKETS (comma-separated, in the seeded
// order), QDRANT_URL and QDRANT_COLLECTION_PREFIX, plus S3_FORCE_PATH_STYLE and the
// AWS_* credentials when the stack exports them. A store the stack lacks is left out.
std::map<std::string, std::string> lease_env(const LeaseConfig& config, const std::string& id,
                                             int redis_db);

}  // namespace biodev::lease
