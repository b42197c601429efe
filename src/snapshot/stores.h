// Each store's half of a snapshot (snapshot.h runs them). Blocking; a failure throws
// store::StoreFailure naming the store and the object.
#pragma once

#include <string>

#include "serve/lease_config.h"
#include "snapshot/manifest.h"
#include "store/clients.h"

namespace biodev::snapshot {

// Postgres: the app database copied into partial_database(name) (connections to it
// ended first, and refused during the copy).
StoreEntry postgres_save(const lease::PostgresStore& pg, const std::string& name);
// The partial database becomes template_database(name) (replacing one there), and a
// ready copy is made of it.
void postgres_commit(const lease::PostgresStore& pg, const std::string& name);
// The ready copy renamed in place of the app database (made first when missing); the
// app database as it was is set aside, to be dropped by postgres_prepare.
void postgres_restore(const lease::PostgresStore& pg, const std::string& name);
// Drops the set-aside databases and makes the ready copy when it is missing.
void postgres_prepare(const lease::PostgresStore& pg, const std::string& name);
// Drops the partial database of a save that failed.
void postgres_abort(const lease::PostgresStore& pg, const std::string& name);
// Drops every database of snapshot `name` (partial, template, ready).
void postgres_drop(const lease::PostgresStore& pg, const std::string& name);

// Redis: every key of database 0 with its remaining TTL, DUMP'ed into dir/redis.dump;
// restore empties database 0 and RESTOREs them.
StoreEntry redis_save(const lease::RedisStore& r, const std::string& dir);
void redis_restore(const lease::RedisStore& r, const std::string& dir);

// S3: every object of every bucket (lease buckets aside) into dir/s3/; restore makes
// the buckets as saved: missing objects put back, others deleted, buckets made since
// dropped.
StoreEntry s3_save(const lease::S3Store& s, const std::string& dir);
void s3_restore(const lease::S3Store& s, const std::string& dir);

// Qdrant: a collection snapshot of every collection (lease collections aside) into
// dir/qdrant/; restore drops the collections there are and uploads the saved ones.
StoreEntry qdrant_save(const lease::QdrantStore& q, const std::string& dir);
void qdrant_restore(const lease::QdrantStore& q, const std::string& dir);

// Files of a snapshot folder: written whole or throwing StoreFailure naming the path.
void write_file(const std::string& path, const std::string& data);
std::string read_file(const std::string& path);

}  // namespace biodev::snapshot
