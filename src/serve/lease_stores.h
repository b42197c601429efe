// The store half of a lease: cutting one slice of every store a LeaseConfig names, and
// dropping it again. Blocking calls, one Stores per worker thread (it keeps its own
// Postgres connection); a failure throws LeaseFailure naming the store and the object.
//
//   postgres  CREATE DATABASE biodev_lease_<id> TEMPLATE biodev_lease_template; the
//             template is made by applying the seed scripts (with their ledger) to a
//             fresh database, marked IS_TEMPLATE with connections off, and its COMMENT
//             holds the scripts' digest so a change of the seeds rebuilds it.
//   redis     logical database <n>, flushed when the slice is made and when it is dropped.
//   s3        bucket lease-<id>-<seeded> per seeded bucket, with the seeded bucket's
//             objects copied in (server-side copy).
//   qdrant    collection lease_<id>_<seeded> per seeded collection, same size and distance.
#pragma once

#include <memory>
#include <set>
#include <stdexcept>
#include <string>

#include "serve/lease_config.h"
#include "store/clients.h"

namespace biodev::lease {

// What the store clients throw (store/clients.h): it names the store and the object.
using LeaseFailure = store::StoreFailure;

class Stores {
 public:
  explicit Stores(std::shared_ptr<const LeaseConfig> config);
  ~Stores();
  Stores(const Stores&) = delete;
  Stores& operator=(const Stores&) = delete;

  const LeaseConfig& config() const { return *config_; }

  // True when the template database exists and was made from the current scripts.
  bool template_current();
  // Drops the template (when present) and makes it again from the scripts.
  void build_template();

  // Makes every part of slice `id`; on failure drops what it made, then throws.
  void create_slice(const std::string& id, int redis_db);
  // Drops every part of slice `id` that exists; missing parts are fine.
  void drop_slice(const std::string& id, int redis_db);

  // Lease ids whose objects exist in any store (databases, buckets, collections).
  std::set<std::string> existing_ids();
  // Redis's `databases` setting: logical databases 1 .. n-1 are for leases.
  int redis_databases();
  // Empties logical database `db`.
  void flush_redis(int db);
  // How long each store took in the last create_slice or drop_slice ("postgres 41ms, ...").
  const std::string& last_timings() const { return timings_; }

 private:
  struct Postgres;
  std::shared_ptr<const LeaseConfig> config_;
  std::unique_ptr<Postgres> pg_;
  std::string timings_;
  Postgres& pg();
};

}  // namespace biodev::lease
