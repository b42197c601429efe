#include "serve/lease_stores.h"

#include <libpq-fe.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "seed/common.h"
#include "seed/http.h"
#include "seed/postgres.h"
#include "seed/s3.h"
#include "seed/sigv4.h"
#include "util/asio.h"
#include "util/strings.h"

namespace biodev::lease {
namespace {

using nlohmann::json;
using ResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;
using Clock = std::chrono::steady_clock;

// ---- Store addresses: a name is looked up once per 10 s ----
//
// Every S3, Qdrant and Redis call is a connection of its own, and looking a name up is a
// thread and a query to the network's DNS (util::resolve), which cost more than most of
// these calls. A failed call forgets them all, so a store that came back elsewhere is
// found again.
std::mutex addresses_mu;
std::map<std::string, std::pair<std::string, Clock::time_point>> addresses;

// The address to connect to for `host`; the name itself when it cannot be looked up (the
// call then says why).
std::string address_of(const std::string& host, int port) {
  boost::system::error_code ec;
  net::ip::make_address(host, ec);
  if (!ec) return host;
  auto now = Clock::now();
  {
    std::lock_guard lock(addresses_mu);
    auto it = addresses.find(host);
    if (it != addresses.end() && now - it->second.second < std::chrono::seconds(10))
      return it->second.first;
  }
  util::Resolved r = util::resolve(host, port, now + std::chrono::seconds(5));
  if (r.endpoints.empty()) return host;
  std::string address = r.endpoints.front().address().to_string();
  std::lock_guard lock(addresses_mu);
  addresses[host] = {address, now};
  return address;
}

void forget_addresses() {
  std::lock_guard lock(addresses_mu);
  addresses.clear();
}

std::string quote_ident(const std::string& name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// ---- Redis: a few commands over RESP, each with a deadline ----

class Redis {
 public:
  Redis(const RedisStore& r) : socket_(ioc_) {
    net::ip::tcp::resolver resolver(ioc_);
    boost::system::error_code ec;
    auto endpoints = resolver.resolve(address_of(r.host, r.port), std::to_string(r.port), ec);
    if (!ec) net::connect(socket_, endpoints, ec);
    if (ec) {
      forget_addresses();
      throw LeaseFailure("redis " + r.host + ":" + std::to_string(r.port) + ": " + ec.message());
    }
    timeval tv{5, 0};
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (!r.password.empty()) call({"AUTH", r.password});
  }

  // Several commands in one write; the replies of all but the last are checked and
  // dropped, the last's is returned as call() does.
  std::string pipeline(const std::vector<std::vector<std::string>>& commands) {
    std::string out;
    for (const auto& args : commands) out += encode(args);
    boost::system::error_code ec;
    net::write(socket_, net::buffer(out), ec);
    if (ec) throw LeaseFailure("redis: " + ec.message());
    std::string last;
    for (const auto& args : commands) last = reply(args);
    return last;
  }

  // One command; the reply's first line without its type byte ("OK", "16"), or for an
  // array of bulk strings, its items joined by '\n'. A Redis error throws.
  std::string call(const std::vector<std::string>& args) { return pipeline({args}); }

 private:
  static std::string encode(const std::vector<std::string>& args) {
    std::string out = "*" + std::to_string(args.size()) + "\r\n";
    for (const auto& a : args) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
    return out;
  }
  std::string reply(const std::vector<std::string>& args) {
    std::string line = read_line();
    if (line.empty()) throw LeaseFailure("redis: empty reply");
    char type = line[0];
    line.erase(0, 1);
    if (type == '-') throw LeaseFailure("redis " + args[0] + ": " + line);
    if (type != '*') return line;
    std::vector<std::string> items;
    for (int i = 0, n = std::stoi(line); i < n; ++i) {
      std::string head = read_line();
      if (head.starts_with("$")) {
        size_t len = std::stoul(head.substr(1));
        std::string item = read_exact(len + 2);
        items.push_back(item.substr(0, len));
      } else {
        items.push_back(head.substr(1));
      }
    }
    return join(items, "\n");
  }

  std::string read_line() {
    boost::system::error_code ec;
    size_t n = net::read_until(socket_, net::dynamic_buffer(buf_), "\r\n", ec);
    if (ec) throw LeaseFailure("redis: " + ec.message());
    std::string line = buf_.substr(0, n - 2);
    buf_.erase(0, n);
    return line;
  }
  std::string read_exact(size_t n) {
    boost::system::error_code ec;
    if (buf_.size() < n)
      net::read(socket_, net::dynamic_buffer(buf_), net::transfer_exactly(n - buf_.size()), ec);
    if (ec) throw LeaseFailure("redis: " + ec.message());
    std::string s = buf_.substr(0, n);
    buf_.erase(0, n);
    return s;
  }

  net::io_context ioc_;
  net::ip::tcp::socket socket_;
  std::string buf_;
};

// ---- S3 ----

seed::S3Target s3_target(const S3Store& s) {
  seed::S3Target t;
  t.host = address_of(s.host, s.port);
  t.port = s.port;
  t.creds = {s.access_key, s.secret_key, s.region, "s3"};
  return t;
}

std::string xml_unescape(std::string s) {
  static const std::pair<const char*, const char*> entities[] = {
      {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}, {"&amp;", "&"}};
  for (const auto& [from, to] : entities)
    for (size_t i = s.find(from); i != std::string::npos; i = s.find(from, i + 1))
      s.replace(i, strlen(from), to);
  return s;
}

std::vector<std::string> xml_values(const std::string& body, const std::string& tag) {
  std::vector<std::string> out;
  const std::string open = "<" + tag + ">", close = "</" + tag + ">";
  for (size_t i = body.find(open); i != std::string::npos; i = body.find(open, i)) {
    i += open.size();
    size_t end = body.find(close, i);
    if (end == std::string::npos) break;
    out.push_back(xml_unescape(body.substr(i, end - i)));
    i = end;
  }
  return out;
}

[[noreturn]] void s3_failed(const std::string& what, const seed::HttpResponse& r) {
  std::string detail = seed::s3_error_text(r.body);
  throw LeaseFailure("s3 " + what + ": HTTP " + std::to_string(r.status) +
                     (detail.empty() ? "" : " (" + detail + ")"));
}

seed::HttpResponse s3_call(const seed::S3Target& t, const std::string& method,
                           const std::string& path, const seed::HttpHeaders& headers = {}) {
  try {
    return seed::s3_request(t, method, path, "", headers);
  } catch (const seed::HttpError& e) {
    forget_addresses();
    throw LeaseFailure(std::string("s3 ") + method + " " + path + ": " + e.what());
  }
}

// The object keys of a bucket (ListObjects, the first 1000).
std::vector<std::string> s3_keys(const seed::S3Target& t, const std::string& bucket) {
  auto r = s3_call(t, "GET", "/" + bucket);
  if (r.status == 404) return {};
  if (r.status != 200) s3_failed("listing bucket " + bucket, r);
  std::vector<std::string> keys;
  // Each <Contents> holds one <Key>; <Prefix> and <Marker> are outside them.
  for (const auto& c : xml_values(r.body, "Contents"))
    for (const auto& k : xml_values(c, "Key")) keys.push_back(k);
  return keys;
}

void s3_drop_bucket(const seed::S3Target& t, const std::string& bucket) {
  // Most slices' buckets are as they were made: empty when the seeded bucket is. Such a
  // bucket goes in one call; one with objects answers 409 (BucketNotEmpty) and they are
  // deleted first.
  if (auto r = s3_call(t, "DELETE", "/" + bucket);
      r.status == 204 || r.status == 200 || r.status == 404)
    return;
  for (const auto& key : s3_keys(t, bucket)) {
    auto r = s3_call(t, "DELETE", "/" + bucket + "/" + key);
    if (r.status != 204 && r.status != 200 && r.status != 404)
      s3_failed("deleting " + bucket + "/" + key, r);
  }
  auto r = s3_call(t, "DELETE", "/" + bucket);
  if (r.status != 204 && r.status != 200 && r.status != 404)
    s3_failed("deleting bucket " + bucket, r);
}

// ---- Qdrant ----

seed::HttpResponse qdrant_call(const QdrantStore& q, const std::string& method,
                               const std::string& path, const std::string& body = "") {
  seed::HttpRequest req;
  req.method = method;
  req.target = path;
  req.body = body;
  if (!body.empty()) req.headers.emplace_back("Content-Type", "application/json");
  if (!q.api_key.empty()) req.headers.emplace_back("api-key", q.api_key);
  try {
    return seed::http_request(address_of(q.host, q.port), q.port, req, std::chrono::seconds(10));
  } catch (const seed::HttpError& e) {
    forget_addresses();
    throw LeaseFailure("qdrant " + method + " " + path + ": " + e.what());
  }
}

// Runs `fn` for every bucket at once, one thread each: each S3 request is a connection
// of its own, and the server answers them in parallel. Rethrows the first failure.
void for_each_bucket(const std::vector<std::string>& buckets,
                     const std::function<void(const std::string&)>& fn) {
  std::vector<std::exception_ptr> errors(buckets.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < buckets.size(); ++i)
    threads.emplace_back([&, i] {
      try {
        fn(buckets[i]);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    });
  for (auto& th : threads) th.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

using Parts = std::vector<std::pair<const char*, std::function<void()>>>;

// Runs every store's part of a slice at once: the first here (Postgres, on the Stores'
// own connection), each other on a thread of its own; the stores are separate servers
// and answer in parallel. Sets `timings` to "<store> <ms>ms, ..." in the parts' order,
// and rethrows the first part's failure once every part has ended.
void run_parts(const Parts& parts, std::string& timings) {
  std::vector<std::exception_ptr> errors(parts.size());
  std::vector<long long> ms(parts.size(), 0);
  auto run = [&](size_t i) {
    auto t0 = Clock::now();
    try {
      parts[i].second();
    } catch (...) {
      errors[i] = std::current_exception();
    }
    ms[i] = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
  };
  std::vector<std::thread> threads;
  for (size_t i = 1; i < parts.size(); ++i) threads.emplace_back(run, i);
  if (!parts.empty()) run(0);
  for (auto& th : threads) th.join();
  timings.clear();
  for (size_t i = 0; i < parts.size(); ++i)
    timings += (i ? ", " : "") + std::string(parts[i].first) + " " + std::to_string(ms[i]) + "ms";
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace

// ---- Postgres: one admin connection to the seeded database ----

struct Stores::Postgres {
  explicit Postgres(const PostgresStore& s) : store(s) {
    const std::string port = std::to_string(s.port);
    const char* keys[] = {"host",
                          "port",
                          "user",
                          "password",
                          "dbname",
                          "sslmode",
                          "connect_timeout",
                          "application_name",
                          nullptr};
    const char* values[] = {s.host.c_str(),
                            port.c_str(),
                            s.user.c_str(),
                            s.password.c_str(),
                            s.database.c_str(),
                            "disable",
                            "5",
                            "biodev-leases",
                            nullptr};
    conn = PQconnectdbParams(keys, values, 0);
    if (!conn || PQstatus(conn) != CONNECTION_OK) {
      std::string why = conn ? trim(PQerrorMessage(conn)) : "out of memory";
      PQfinish(conn);
      throw LeaseFailure("postgres " + s.host + ":" + port + ": " + why);
    }
  }
  ~Postgres() { PQfinish(conn); }
  bool ok() const { return PQstatus(conn) == CONNECTION_OK; }

  ResultPtr run(const std::string& sql, const std::vector<std::string>& params = {}) {
    std::vector<const char*> p;
    for (const auto& s : params) p.push_back(s.c_str());
    ResultPtr r(PQexecParams(conn, sql.c_str(), static_cast<int>(p.size()), nullptr, p.data(),
                             nullptr, nullptr, 0),
                &PQclear);
    ExecStatusType st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      std::string msg = r ? trim(PQresultErrorMessage(r.get())) : trim(PQerrorMessage(conn));
      throw LeaseFailure("postgres: " + first_line(msg));
    }
    return r;
  }

  PostgresStore store;
  PGconn* conn = nullptr;
  int version = 0;  // server_version_num, once asked
};

Stores::Stores(std::shared_ptr<const LeaseConfig> config) : config_(std::move(config)) {}
Stores::~Stores() = default;

Stores::Postgres& Stores::pg() {
  if (!pg_ || !pg_->ok()) pg_ = std::make_unique<Postgres>(*config_->postgres);
  return *pg_;
}

bool Stores::template_current() {
  if (!config_->postgres) return true;
  auto r =
      pg().run("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1",
               {kTemplateDatabase});
  return PQntuples(r.get()) == 1 &&
         template_digest(*config_->postgres) == PQgetvalue(r.get(), 0, 0);
}

void Stores::build_template() {
  if (!config_->postgres) return;
  const PostgresStore& s = *config_->postgres;
  const std::string tpl = quote_ident(kTemplateDatabase);
  auto& c = pg();
  auto exists = c.run("SELECT 1 FROM pg_database WHERE datname = $1", {kTemplateDatabase});
  if (PQntuples(exists.get()) == 1) {
    c.run("ALTER DATABASE " + tpl + " IS_TEMPLATE false");
    c.run("DROP DATABASE " + tpl + " WITH (FORCE)");
  }
  c.run("CREATE DATABASE " + tpl);

  // The scripts go through seed_postgres, so the template gets the same ledger (and the
  // same errors) as the seeded database.
  char dir_template[] = "/tmp/biodev-lease-seed-XXXXXX";
  const char* dir = mkdtemp(dir_template);
  if (!dir)
    throw LeaseFailure("postgres template: cannot make a folder in /tmp for the seed scripts");
  struct Cleanup {
    std::string d;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(d, ec);
    }
  } cleanup{dir};
  for (const auto& f : s.scripts) {
    std::ofstream out(std::string(dir) + "/" + f.name, std::ios::binary);
    out << f.content;
    if (!out) throw LeaseFailure("postgres template: cannot write " + f.name + " in " + dir);
  }
  seed::PostgresTarget t;
  t.host = s.host;
  t.port = s.port;
  t.user = s.user;
  t.password = s.password;
  t.database = kTemplateDatabase;
  seed::PostgresSeedOptions o;
  o.scripts_dir = dir;
  o.shown_dir = "seed scripts";
  try {
    seed::seed_postgres(t, o);
  } catch (const seed::SeedFailure& e) {
    throw LeaseFailure(std::string("postgres template: ") + e.what());
  }
  c.run("ALTER DATABASE " + tpl + " WITH IS_TEMPLATE true ALLOW_CONNECTIONS false");
  c.run("COMMENT ON DATABASE " + tpl + " IS '" + template_digest(s) + "'");
}

void Stores::create_slice(const std::string& id, int redis_db) {
  const LeaseConfig& c = *config_;
  Parts parts;
  if (c.postgres)
    parts.emplace_back("postgres", [&] {
      // FILE_COPY (Postgres 15 and later; the only way before) copies the template's
      // files; the default WAL_LOG writes every block to the WAL, 3-10x slower for a
      // small template here.
      auto& c = pg();
      if (c.version == 0)
        c.version = std::stoi(PQgetvalue(c.run("SHOW server_version_num").get(), 0, 0));
      std::string strategy = c.version >= 150000 ? " STRATEGY FILE_COPY" : "";
      c.run("CREATE DATABASE " + quote_ident(database_name(id)) + " TEMPLATE " +
            quote_ident(kTemplateDatabase) + strategy);
    });
  if (c.redis) parts.emplace_back("redis", [&] { flush_redis(redis_db); });
  if (c.s3)
    parts.emplace_back("s3", [&] {
      auto t = s3_target(*c.s3);
      for_each_bucket(c.s3->buckets, [&](const std::string& seeded) {
        const std::string bucket = bucket_name(id, seeded);
        auto r = s3_call(t, "PUT", "/" + bucket);
        if (r.status != 200) s3_failed("creating bucket " + bucket, r);
        for (const auto& key : s3_keys(t, seeded)) {
          std::string source = "/" + seed::sigv4::uri_encode(seeded + "/" + key, false);
          auto cp = s3_call(t, "PUT", "/" + bucket + "/" + key, {{"x-amz-copy-source", source}});
          if (cp.status != 200) s3_failed("copying " + seeded + "/" + key + " to " + bucket, cp);
        }
      });
    });
  if (c.qdrant)
    parts.emplace_back("qdrant", [&] {
      for (const auto& col : c.qdrant->collections) {
        const std::string name = collection_prefix(id) + col.name;
        json body = {{"vectors", {{"size", col.size}, {"distance", col.distance}}}};
        auto r = qdrant_call(*c.qdrant, "PUT",
                             "/collections/" + seed::sigv4::uri_encode(name, true), body.dump());
        if (r.status != 200)
          throw LeaseFailure("qdrant: creating collection " + name + ": HTTP " +
                             std::to_string(r.status) + " " + r.body.substr(0, 200));
      }
    });
  try {
    run_parts(parts, timings_);
  } catch (...) {
    try {
      drop_slice(id, redis_db);
    } catch (const std::exception&) {
      // The first failure is the one to report; the leftovers are dropped as orphans.
    }
    throw;
  }
}

void Stores::drop_slice(const std::string& id, int redis_db) {
  const LeaseConfig& c = *config_;
  Parts parts;
  if (c.postgres)
    parts.emplace_back("postgres", [&] {
      pg().run("DROP DATABASE IF EXISTS " + quote_ident(database_name(id)) + " WITH (FORCE)");
    });
  if (c.redis && redis_db > 0) parts.emplace_back("redis", [&] { flush_redis(redis_db); });
  if (c.s3)
    parts.emplace_back("s3", [&] {
      auto t = s3_target(*c.s3);
      for_each_bucket(c.s3->buckets, [&](const std::string& seeded) {
        s3_drop_bucket(t, bucket_name(id, seeded));
      });
    });
  if (c.qdrant)
    parts.emplace_back("qdrant", [&] {
      for (const auto& col : c.qdrant->collections) {
        const std::string name = collection_prefix(id) + col.name;
        auto r =
            qdrant_call(*c.qdrant, "DELETE", "/collections/" + seed::sigv4::uri_encode(name, true));
        if (r.status != 200 && r.status != 404)
          throw LeaseFailure("qdrant: deleting collection " + name + ": HTTP " +
                             std::to_string(r.status));
      }
    });
  run_parts(parts, timings_);
}

std::set<std::string> Stores::existing_ids() {
  const LeaseConfig& c = *config_;
  std::set<std::string> ids;
  auto add = [&ids](const std::string& id) {
    if (!id.empty()) ids.insert(id);
  };
  if (c.postgres) {
    auto r = pg().run("SELECT datname FROM pg_database WHERE datname LIKE 'biodev\\_lease\\_%'");
    for (int i = 0; i < PQntuples(r.get()); ++i) add(id_of_database(PQgetvalue(r.get(), i, 0)));
  }
  if (c.s3) {
    auto r = s3_call(s3_target(*c.s3), "GET", "/");
    if (r.status != 200) s3_failed("listing buckets", r);
    for (const auto& b : xml_values(r.body, "Name")) add(id_of_bucket(b));
  }
  if (c.qdrant) {
    auto r = qdrant_call(*c.qdrant, "GET", "/collections");
    json j = json::parse(r.body, nullptr, false);
    if (r.status != 200 || !j.is_object())
      throw LeaseFailure("qdrant: listing collections: HTTP " + std::to_string(r.status));
    for (const auto& col : j.value("/result/collections"_json_pointer, json::array()))
      add(id_of_collection(col.value("name", "")));
  }
  return ids;
}

int Stores::redis_databases() {
  if (!config_->redis) return 0;
  Redis r(*config_->redis);
  std::string reply = r.call({"CONFIG", "GET", "databases"});  // "databases\n16"
  size_t nl = reply.find('\n');
  return nl == std::string::npos ? 16 : std::stoi(reply.substr(nl + 1));
}

void Stores::flush_redis(int db) {
  Redis r(*config_->redis);
  r.pipeline({{"SELECT", std::to_string(db)}, {"FLUSHDB"}});
}

}  // namespace biodev::lease
