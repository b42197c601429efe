// Blocking clients for the stack's data stores, shared by the lease service (cutting and
// dropping slices) and `biodev snapshot` (saving and restoring the stack's data).
// Every call has a deadline; a failure throws StoreFailure naming the store and what it
// was doing ("s3 listing bucket raw: HTTP 403 (AccessDenied: ...)").
//
// Store hosts are looked up once per 10 s (address_of): every S3, Qdrant and Redis call
// is a connection of its own, and a lookup costs more than most of those calls. A failed
// call forgets them all, so a store that came back elsewhere is found again.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "seed/http.h"
#include "seed/s3.h"
#include "store/targets.h"

namespace biodev::store {

class StoreFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The address to connect to for `host` (a name or an address); the name itself when it
// cannot be looked up (the call then says why).
std::string address_of(const std::string& host, int port);
void forget_addresses();

// "name" with embedded quotes doubled, for SQL identifiers.
std::string quote_ident(const std::string& name);
// 'text' with embedded quotes doubled, for SQL literals where parameters cannot go.
std::string quote_literal(const std::string& text);

// ---- Redis: commands over RESP ----

struct RedisReply {
  enum class Type { kSimple, kError, kInteger, kBulk, kNil, kArray };
  Type type = Type::kNil;
  std::string text;  // simple, error and bulk strings (binary safe)
  long long integer = 0;
  std::vector<RedisReply> items;
};

class RedisConnection {
 public:
  // Connects (5 s deadlines on every read and write) and sends AUTH when there is a
  // password.
  explicit RedisConnection(const RedisStore& store);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Several commands in one write; the replies, in order. Redis errors come back as
  // replies of type kError (nothing throws for them); a broken connection throws.
  std::vector<RedisReply> send(const std::vector<std::vector<std::string>>& commands);

  // Several commands in one write; an error reply throws. The last reply as text: the
  // reply's string ("OK", "16"), or for an array, its items' strings joined by '\n'.
  std::string pipeline(const std::vector<std::vector<std::string>>& commands);
  std::string call(const std::vector<std::string>& args) { return pipeline({args}); }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// ---- S3: SigV4-signed, path-style calls ----

seed::S3Target s3_target(const S3Store& store);

// One call; the response whatever its status. Throws StoreFailure when the server
// cannot be reached.
seed::HttpResponse s3_call(const seed::S3Target& t, const std::string& method,
                           const std::string& path, const seed::HttpHeaders& headers = {},
                           const std::string& body = "");
// Throws StoreFailure with the status and the S3 error's code and message.
[[noreturn]] void s3_failed(const std::string& what, const seed::HttpResponse& r);

// Every bucket's name (ListBuckets).
std::vector<std::string> s3_buckets(const seed::S3Target& t);
// Every object key of a bucket, page after page (ListObjects with marker); none for a
// bucket that does not exist.
std::vector<std::string> s3_keys(const seed::S3Target& t, const std::string& bucket);
// Deletes a bucket and, when it is not empty, its objects first; a missing one is fine.
void s3_drop_bucket(const seed::S3Target& t, const std::string& bucket);

// The text inside each <tag>...</tag> of an XML body, entities decoded.
std::vector<std::string> xml_values(const std::string& body, const std::string& tag);

// ---- Qdrant: REST calls ----

// One call with the api-key header when the store has one (and Content-Type JSON for
// a body, unless `content_type` says otherwise); the response whatever its status.
seed::HttpResponse qdrant_call(const QdrantStore& q, const std::string& method,
                               const std::string& path, const std::string& body = "",
                               const std::string& content_type = "application/json");

// ---- Postgres: one libpq connection ----

using PgResult = std::unique_ptr<PGresult, decltype(&PQclear)>;

class PgConnection {
 public:
  // Connects to `database` (the store's own when empty) as the store's user, with a 5 s
  // connect timeout; `application_name` shows in pg_stat_activity.
  PgConnection(const PostgresStore& store, const std::string& application_name,
               const std::string& database = "");
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  bool ok() const;
  // One statement with text parameters; an error throws StoreFailure "postgres: <first
  // line of the server's message>".
  PgResult run(const std::string& sql, const std::vector<std::string>& params = {});
  // The first column of the first row, "" when there is none.
  std::string value(const std::string& sql, const std::vector<std::string>& params = {});
  int server_version();  // server_version_num, asked once

 private:
  PGconn* conn_ = nullptr;
  int version_ = 0;
};

}  // namespace biodev::store
