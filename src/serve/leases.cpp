#include "serve/leases.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <shared_mutex>
#include <thread>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "serve/lease_config.h"
#include "serve/lease_stores.h"
#include "util/strings.h"

namespace biodev::serve {
namespace {

using Clock = std::chrono::steady_clock;
using lease::LeaseConfig;
using nlohmann::json;

// The most slices POST /leases/warm may ask for (or BIODEV_LEASES_POOL_MAX, when more):
// each is a database, a Redis database, buckets and collections held ready.
constexpr int kMostAnnounced = 64;
// Hand-outs and store work: a slice being cut or dropped takes the CPU (the stores') from
// the replies of leases just handed out, so that work starts only once hand-outs pause
// for kQuiet, and waits no longer than kMostHeld after the first of a stretch.
constexpr auto kQuiet = std::chrono::milliseconds(10);
constexpr auto kMostHeld = std::chrono::milliseconds(50);

struct Slice {
  std::string id;
  int redis_db = 0;
  std::shared_ptr<const LeaseConfig> config;  // what it was cut from
  std::string digest;
};

struct Lease {
  Slice slice;
  std::map<std::string, std::string> env;
  Clock::time_point created;
  std::optional<Clock::time_point> expires;
  unsigned long long connection = 0;  // keepalive: ends with this connection
};

struct Waiter {
  ReplySink sink;
  std::chrono::seconds ttl{0};
  unsigned long long connection = 0;
};

Reply error(int status, const std::string& message) {
  return Reply::json(status, json{{"error", message}}.dump());
}

std::string query_value(std::string_view query, std::string_view key) {
  for (const auto& part : split(query, '&')) {
    size_t eq = part.find('=');
    if (part.substr(0, eq) == key) return eq == std::string::npos ? "1" : part.substr(eq + 1);
  }
  return {};
}

std::string new_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* digits = "0123456789abcdef";
  std::string id;
  for (int i = 0; i < 10; ++i) id += digits[rng() % 16];
  return id;
}

}  // namespace

LeaseServerConfig LeaseServerConfig::from_env() {
  LeaseServerConfig c;
  c.port = static_cast<int>(env_int("BIODEV_LEASES_PORT", c.port, 1, 65535));
  c.workers = static_cast<int>(env_int("BIODEV_LEASES_WORKERS", c.workers, 1, 64));
  c.pool_min = static_cast<int>(env_int("BIODEV_LEASES_POOL_MIN", c.pool_min, 0, 1024));
  c.pool_max = static_cast<int>(env_int("BIODEV_LEASES_POOL_MAX", c.pool_max, 0, 1024));
  c.default_ttl =
      std::chrono::seconds(env_int("BIODEV_LEASES_TTL_S", c.default_ttl.count(), 0, 86400 * 30));
  if (c.pool_max < c.pool_min) c.pool_max = c.pool_min;
  c.trace = env_int("BIODEV_LEASES_TRACE", 0, 0, 1) == 1;
  return c;
}

struct LeasePool::State {
  LeaseServerConfig opt;
  std::mutex mu;
  std::condition_variable cv;
  std::shared_mutex template_mu;  // slices are cut under shared, the template rebuilt under unique

  std::shared_ptr<const LeaseConfig> config;
  std::string digest;
  bool template_ok = false, building = false, first_config = true;
  std::string last_error;

  std::deque<Slice> ready;
  int making = 0;
  std::map<std::string, Lease> leases;
  std::deque<Slice> to_drop;
  std::map<std::string, std::vector<ReplySink>> drop_waiters;  // id -> DELETEs waiting
  std::set<std::string> dropping;
  std::deque<Waiter> waiters;
  std::set<int> free_dbs;
  bool redis_sized = false;
  std::deque<Clock::time_point> handed;           // recent hand-outs, for the pool's target
  int announced = 0;                              // POST /leases/warm: slices wanted ready
  Clock::time_point last_handout, stretch_start;  // hand-outs without a kQuiet pause
  Clock::time_point announced_until;
  long long served = 0, made = 0, dropped = 0;

  bool stopping = false;
  std::vector<std::thread> workers;

  // Connections gone, for the workers to reclaim their leases. Apart from `mu`: a
  // session can end while `mu` is held (the last copy of its reply sink destroyed by a
  // worker), and its end must not wait for `mu`.
  std::mutex closed_mu;
  std::vector<unsigned long long> closed;

  // Under mu: the leases bound to connections that closed go to be dropped.
  void reclaim_closed() {
    std::vector<unsigned long long> gone;
    {
      std::lock_guard c(closed_mu);
      gone.swap(closed);
    }
    for (unsigned long long connection : gone)
      for (auto it = leases.begin(); it != leases.end();) {
        if (it->second.connection == connection) {
          log_info("lease " + it->first + ": its connection closed, reclaimed");
          to_drop.push_back(std::move(it->second.slice));
          it = leases.erase(it);
        } else {
          ++it;
        }
      }
  }
  bool any_closed() {
    std::lock_guard c(closed_mu);
    return !closed.empty();
  }

  size_t target() {
    auto now = Clock::now();
    auto cutoff = now - std::chrono::seconds(5);
    while (!handed.empty() && handed.front() < cutoff) handed.pop_front();
    size_t want = std::min<size_t>(std::max<size_t>(opt.pool_min, handed.size()), opt.pool_max);
    if (announced > 0 && now < announced_until) want = std::max<size_t>(want, announced);
    return want + waiters.size();
  }
  // How long store work is held back for the hand-outs under way; zero when the pool is
  // low (under a quarter of its target) or a request waits for a slice.
  Clock::duration hold(Clock::time_point now) {
    if (!waiters.empty() || ready.size() * 4 < target()) return Clock::duration::zero();
    auto until = std::min(last_handout + kQuiet, stretch_start + kMostHeld);
    return until > now ? until - now : Clock::duration::zero();
  }
  bool can_make() const { return config && template_ok && (!config->redis || !free_dbs.empty()); }
  bool has_work() {
    return stopping || any_closed() || !to_drop.empty() || (config && !template_ok && !building) ||
           (can_make() && ready.size() + making < target());
  }

  json lease_json(const Lease& l) const {
    json j = {{"id", l.slice.id}, {"env", l.env}, {"keepalive", l.connection != 0}};
    auto now = Clock::now();
    j["age_s"] = std::chrono::duration<double>(now - l.created).count();
    if (l.expires) j["expires_in_s"] = std::chrono::duration<double>(*l.expires - now).count();
    return j;
  }

  // Turns a ready slice into a lease (under mu).
  Lease& hand_out(Slice slice, std::chrono::seconds ttl, unsigned long long connection) {
    Lease l;
    l.env = lease::lease_env(*slice.config, slice.id, slice.redis_db);
    l.slice = std::move(slice);
    l.created = Clock::now();
    if (ttl.count() > 0) l.expires = l.created + ttl;
    l.connection = connection;
    handed.push_back(l.created);
    if (l.created - last_handout >= kQuiet) stretch_start = l.created;
    last_handout = l.created;
    ++served;
    std::string id = l.slice.id;
    return leases[id] = std::move(l);
  }

  void expire(Clock::time_point now) {
    for (auto it = leases.begin(); it != leases.end();) {
      if (it->second.expires && *it->second.expires <= now) {
        log_info("lease " + it->first + ": TTL passed, reclaimed");
        to_drop.push_back(std::move(it->second.slice));
        it = leases.erase(it);
      } else {
        ++it;
      }
    }
  }

  void worker();
  void prepare(std::unique_lock<std::mutex>& lock);
  // A worker keeps its Stores (and so its Postgres connection) while the configuration
  // stays the same.
  using StoresCache = std::unique_ptr<lease::Stores>;
  static lease::Stores& stores_for(StoresCache& cache,
                                   const std::shared_ptr<const LeaseConfig>& config);
  void make_one(std::unique_lock<std::mutex>& lock, StoresCache& cache);
  void drop_one(std::unique_lock<std::mutex>& lock, StoresCache& cache);
  void fail_waiters(const std::string& why);

  // The API's routes, one each.
  Reply health();
  Reply put_config(const Request& req);
  Reply take(const Request& req);
  Reply warm(const Request& req);
  Reply list();
  Reply one(const Request& req, const std::string& id);
};

void LeasePool::State::fail_waiters(const std::string& why) {
  for (auto& w : waiters) w.sink(error(503, why));
  waiters.clear();
}

lease::Stores& LeasePool::State::stores_for(StoresCache& cache,
                                            const std::shared_ptr<const LeaseConfig>& config) {
  if (!cache || &cache->config() != config.get()) cache = std::make_unique<lease::Stores>(config);
  return *cache;
}

void LeasePool::State::worker() {
  // Below the threads that hand leases out: a hand-over waits for no slice being cut.
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 10);
  StoresCache cache;
  std::unique_lock lock(mu);
  while (!stopping) {
    cv.wait_for(lock, std::chrono::milliseconds(500), [this] { return has_work(); });
    if (stopping) break;
    reclaim_closed();
    expire(Clock::now());
    // Refilling the pool comes before dropping released slices: the next POST then
    // finds a slice ready, and a DELETE waits for its drop instead (it answers once
    // the slice is gone either way). Drops go first when the pool is full, or when no
    // slice can be made.
    const bool refill = can_make() && ready.size() + making < target();
    if (refill || (!to_drop.empty() && template_ok)) {
      if (auto h = hold(Clock::now()); h > Clock::duration::zero()) {
        cv.wait_for(lock, h);
        continue;
      }
    }
    if (!to_drop.empty() && !refill) {
      drop_one(lock, cache);
    } else if (config && !template_ok && !building) {
      prepare(lock);
    } else if (refill) {
      make_one(lock, cache);
    } else if (config && template_ok && config->redis && free_dbs.empty() && making == 0 &&
               !waiters.empty()) {
      fail_waiters("every Redis logical database is taken (" + std::to_string(leases.size()) +
                   " leases held): release leases or raise Redis's `databases` setting");
    }
  }
}

// The template database, the Redis database count and, on the first configuration,
// the objects of slices a previous run of this service left behind.
void LeasePool::State::prepare(std::unique_lock<std::mutex>& lock) {
  building = true;
  auto cfg = config;
  bool first = first_config;
  std::set<std::string> known;
  for (const auto& s : ready) known.insert(s.id);
  for (const auto& [id, l] : leases) known.insert(id);
  lock.unlock();
  std::string failure;
  int databases = 0;
  try {
    std::unique_lock tpl(template_mu);
    lease::Stores stores(cfg);
    if (!stores.template_current()) {
      log_info("building the template database from " +
               std::to_string(cfg->postgres ? cfg->postgres->scripts.size() : 0) + " seed scripts");
      stores.build_template();
    }
    if (cfg->redis) databases = stores.redis_databases();
    if (first) {
      for (const auto& id : stores.existing_ids()) {
        if (known.count(id)) continue;
        log_info("dropping slice " + id + ", left by an earlier run");
        stores.drop_slice(id, 0);
      }
    }
  } catch (const std::exception& e) {
    failure = e.what();
  }
  lock.lock();
  building = false;
  if (cfg != config) return;  // configured again meanwhile: prepare for that one
  if (!failure.empty()) {
    last_error = failure;
    log_error("cannot prepare leases: " + failure);
    fail_waiters("cannot prepare leases: " + failure);
    config.reset();  // until the next PUT /config
    return;
  }
  first_config = false;
  template_ok = true;
  if (cfg->redis && !redis_sized) {
    std::set<int> held;
    for (const auto& [id, l] : leases) held.insert(l.slice.redis_db);
    for (int db = 1; db < databases; ++db)
      if (!held.count(db)) free_dbs.insert(db);
    redis_sized = true;
  }
  cv.notify_all();
}

void LeasePool::State::make_one(std::unique_lock<std::mutex>& lock, StoresCache& cache) {
  Slice s;
  s.id = new_id();
  s.config = config;
  s.digest = digest;
  if (config->redis) {
    s.redis_db = *free_dbs.begin();
    free_dbs.erase(free_dbs.begin());
  }
  ++making;
  lock.unlock();
  std::string failure;
  try {
    std::shared_lock tpl(template_mu);
    lease::Stores& stores = stores_for(cache, s.config);
    stores.create_slice(s.id, s.redis_db);
    if (opt.trace) log_info("made slice " + s.id + ": " + stores.last_timings());
  } catch (const std::exception& e) {
    failure = e.what();
  }
  lock.lock();
  --making;
  if (!failure.empty()) {
    if (s.config->redis) free_dbs.insert(s.redis_db);
    last_error = failure;
    log_error("cannot make a slice: " + failure);
    if (!waiters.empty()) {
      waiters.front().sink(error(503, "cannot make a lease: " + failure));
      waiters.pop_front();
    }
    // A store that fails now will likely fail again at once: do not spin on it.
    lock.unlock();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    lock.lock();
    return;
  }
  ++made;
  if (s.digest != digest) {
    to_drop.push_back(std::move(s));
  } else if (!waiters.empty()) {
    Waiter w = std::move(waiters.front());
    waiters.pop_front();
    Lease& l = hand_out(std::move(s), w.ttl, w.connection);
    w.sink(Reply::json(201, lease_json(l).dump()));
  } else {
    ready.push_back(std::move(s));
  }
  cv.notify_all();
}

void LeasePool::State::drop_one(std::unique_lock<std::mutex>& lock, StoresCache& cache) {
  Slice s = std::move(to_drop.front());
  to_drop.pop_front();
  dropping.insert(s.id);
  lock.unlock();
  std::string failure;
  try {
    lease::Stores& stores = stores_for(cache, s.config);
    stores.drop_slice(s.id, s.redis_db);
    if (opt.trace) log_info("dropped slice " + s.id + ": " + stores.last_timings());
  } catch (const std::exception& e) {
    failure = e.what();
  }
  lock.lock();
  dropping.erase(s.id);
  if (s.config->redis && s.redis_db > 0 && (!config || config->redis)) free_dbs.insert(s.redis_db);
  ++dropped;
  if (!failure.empty()) log_error("dropping slice " + s.id + ": " + failure);
  auto it = drop_waiters.find(s.id);
  if (it != drop_waiters.end()) {
    for (auto& sink : it->second)
      sink(failure.empty() ? Reply::text(204, "", "")
                           : error(500, "lease " + s.id + ": " + failure));
    drop_waiters.erase(it);
  }
  cv.notify_all();
}

LeasePool::LeasePool(const LeaseServerConfig& config) : s_(std::make_unique<State>()) {
  s_->opt = config;
}

LeasePool::~LeasePool() {
  {
    std::lock_guard lock(s_->mu);
    s_->stopping = true;
    s_->fail_waiters("the lease service is stopping");
  }
  s_->cv.notify_all();
  for (auto& t : s_->workers) t.join();
}

void LeasePool::start() {
  for (int i = 0; i < s_->opt.workers; ++i) s_->workers.emplace_back([this] { s_->worker(); });
}

void LeasePool::disconnected(unsigned long long connection) {
  {
    std::lock_guard c(s_->closed_mu);
    s_->closed.push_back(connection);
  }
  s_->cv.notify_all();
}

Reply LeasePool::State::health() {
  std::lock_guard lock(mu);
  json j = {{"status", "ok"}, {"configured", config != nullptr}, {"ready", ready.size()}};
  if (!last_error.empty()) j["last_error"] = last_error;
  return Reply::json(200, j.dump());
}

Reply LeasePool::State::put_config(const Request& req) {
  if (req.method != "PUT") return error(405, "use PUT /config");
  json body = json::parse(req.body, nullptr, false);
  std::shared_ptr<const LeaseConfig> cfg;
  try {
    if (body.is_discarded()) throw std::invalid_argument("the body is not JSON");
    cfg = std::make_shared<const LeaseConfig>(lease::config_from_json(body));
  } catch (const std::exception& e) {
    return error(400, std::string("bad configuration: ") + e.what());
  }
  std::lock_guard lock(mu);
  std::string fresh = lease::slice_digest(*cfg);
  bool same_slices = config && fresh == digest;
  if (!same_slices) {
    // Slices cut from other scripts, buckets or collections are stale.
    for (auto& slice : ready) to_drop.push_back(std::move(slice));
    ready.clear();
    template_ok = false;
    digest = fresh;
  } else {
    // Only where the host reaches the stores changed: re-derive the ready slices' env.
    for (auto& slice : ready) slice.config = cfg;
  }
  config = cfg;
  last_error.clear();
  cv.notify_all();
  return Reply::text(204, "", "");
}

Reply LeasePool::State::take(const Request& req) {
  std::string ttl_text = query_value(req.query(), "ttl");
  std::chrono::seconds ttl = opt.default_ttl;
  if (!ttl_text.empty()) {
    char* end = nullptr;
    long long v = std::strtoll(ttl_text.c_str(), &end, 10);
    if (*end || v < 0)
      return error(400, "ttl=" + ttl_text + ": expected whole seconds, 0 for none");
    ttl = std::chrono::seconds(v);
  }
  std::string keep = query_value(req.query(), "keepalive");
  unsigned long long connection = (keep == "1" || keep == "true") ? req.connection : 0;
  std::lock_guard lock(mu);
  if (!config)  // "configured": false tells a client to send the configuration again
    return Reply::json(503, json{{"error", last_error.empty()
                                               ? "the lease service has no configuration yet: run `biodev up` (it sends it)"
                                               : "the lease service could not prepare: " + last_error},
                                 {"configured", false}}
                                .dump());
  if (!ready.empty() && template_ok) {
    Slice slice = std::move(ready.front());
    ready.pop_front();
    Lease& l = hand_out(std::move(slice), ttl, connection);
    cv.notify_all();  // refill
    return Reply::json(201, lease_json(l).dump());
  }
  Reply r;
  r.deferred = [this, ttl, connection](ReplySink sink) {
    std::lock_guard lock(mu);
    if (stopping) return sink(error(503, "the lease service is stopping"));
    waiters.push_back({std::move(sink), ttl, connection});
    cv.notify_all();
  };
  return r;
}

Reply LeasePool::State::warm(const Request& req) {
  if (req.method != "POST") return error(405, "use POST /leases/warm?n=N");
  const int most = std::max(kMostAnnounced, opt.pool_max);
  auto number = [](const std::string& text, long long lo, long long hi) -> std::optional<int> {
    char* end = nullptr;
    long long v = std::strtoll(text.c_str(), &end, 10);
    if (text.empty() || *end || v < lo || v > hi) return std::nullopt;
    return static_cast<int>(v);
  };
  std::string n_text = query_value(req.query(), "n"), for_text = query_value(req.query(), "for");
  auto n = number(n_text, 0, most);
  if (!n)
    return error(400, "n=" + n_text + ": expected the number of leases wanted ready, 0 to " +
                          std::to_string(most));
  auto seconds = for_text.empty() ? std::optional<int>(600) : number(for_text, 1, 86400);
  if (!seconds) return error(400, "for=" + for_text + ": expected whole seconds, 1 to 86400");
  std::lock_guard lock(mu);
  announced = *n;
  announced_until = Clock::now() + std::chrono::seconds(*seconds);
  cv.notify_all();
  json j = {{"announced", *n},
            {"for_s", *seconds},
            {"target", target()},
            {"ready", ready.size()},
            {"making", making}};
  return Reply::json(200, j.dump());
}

Reply LeasePool::State::list() {
  std::lock_guard lock(mu);
  json list = json::array();
  for (const auto& [id, l] : leases) list.push_back(lease_json(l));
  json pool = {{"ready", ready.size()},
               {"making", making},
               {"target", target()},
               {"announced", Clock::now() < announced_until ? announced : 0},
               {"waiting", waiters.size()},
               {"dropping", to_drop.size() + dropping.size()},
               {"served", served},
               {"made", made},
               {"dropped", dropped},
               {"free_redis_databases", free_dbs.size()}};
  return Reply::json(200, json{{"leases", list}, {"pool", pool}}.dump());
}

Reply LeasePool::State::one(const Request& req, const std::string& id) {
  std::lock_guard lock(mu);
  auto it = leases.find(id);
  if (req.method == "GET") {
    if (it == leases.end()) return error(404, "no lease " + id);
    return Reply::json(200, lease_json(it->second).dump());
  }
  if (req.method != "DELETE") return error(405, "use GET or DELETE /leases/{id}");
  if (it == leases.end()) return error(404, "no lease " + id);
  to_drop.push_back(std::move(it->second.slice));
  leases.erase(it);
  cv.notify_all();
  Reply r;
  r.deferred = [this, id](ReplySink sink) {
    std::lock_guard lock(mu);
    bool queued = std::any_of(to_drop.begin(), to_drop.end(),
                              [&](const Slice& x) { return x.id == id; });
    if (!queued && !dropping.count(id))
      return sink(Reply::text(204, "", ""));  // already dropped
    drop_waiters[id].push_back(std::move(sink));
  };
  return r;
}

Reply LeasePool::handle(const Request& req) {
  State& s = *s_;
  const std::string_view path = req.path();
  const std::string_view prefix = "/leases/";
  if (path == "/health" && req.method == "GET") return s.health();
  if (path == "/config") return req.method == "PUT" ? s.put_config(req) : error(405, "use PUT /config");
  if (path == "/leases" && req.method == "POST") return s.take(req);
  if (path == "/leases/warm") return req.method == "POST" ? s.warm(req) : error(405, "use POST /leases/warm?n=N");
  if (path == "/leases" && req.method == "GET") return s.list();
  if (path.starts_with(prefix)) return s.one(req, std::string(path.substr(prefix.size())));
  return error(404, "no such endpoint: " + req.method + " " + std::string(path));
}

int run_lease_server(const LeaseServerConfig& config) {
  LeasePool pool(config);
  ServerOptions o;
  o.port = config.port;
  o.threads = config.threads;
  // A keepalive holder may sit idle for a whole test run.
  o.idle_timeout = std::chrono::hours(24);
  o.on_disconnect = [&pool](unsigned long long c) { pool.disconnected(c); };
  Server server(o, [&pool](const Request& r) { return pool.handle(r); });
  pool.start();
  return serve_until_signal(server, "biodev leases");
}

}  // namespace biodev::serve
