// Where the stack's data stores are and how to sign in: what the lease service cuts
// slices of (with the seeds it cuts them from) and what `biodev snapshot` saves. Plain
// data; serve/lease_config.h reads and writes it as JSON.
#pragma once

#include <string>
#include <vector>

namespace biodev::store {

struct Script {
  std::string name;  // "02_schema.sql"
  std::string content;
};

struct PostgresStore {
  std::string host;  // as the lease service reaches it ("postgres")
  int port = 5432;
  std::string user, password, database;
  std::vector<Script> scripts;  // the seed scripts, applied to the template database
};

struct RedisStore {
  std::string host;
  int port = 6379;
  std::string password;
};

struct S3Store {
  std::string host;
  int port = 9000;
  std::string access_key, secret_key, region = "us-east-1";
  std::vector<std::string> buckets;  // the seeded buckets, mirrored with their objects
};

struct QdrantCollection {
  std::string name;
  int size = 0;
  std::string distance = "Cosine";
};

struct QdrantStore {
  std::string host;
  int port = 6333;
  std::string api_key;
  std::vector<QdrantCollection> collections;
};

}  // namespace biodev::store
