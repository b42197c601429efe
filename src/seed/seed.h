// Seed actions, run by `biodev up` after a service is ready (and by `biodev seed`):
//   postgres: init-scripts/<svc>/*.sql and *.sh in name order, each applied once and
//             recorded with its checksum in a ledger table inside the database;
//   s3:       buckets created with SigV4-signed, path-style requests;
//   qdrant:   collections created through the REST API.
// Every action is idempotent: running it again changes nothing.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "docker/client.h"
#include "profile/model.h"
#include "util/progress.h"

namespace biodev::seed {

struct SeedContext {
  const profile::Service* service = nullptr;  // the variant that runs (offline applied)
  std::string host = "127.0.0.1";             // where the service's published ports answer
  std::map<int, int> published;               // container port -> host port
  std::string container_id;                   // for .sh scripts, run inside the container
  docker::Client* client = nullptr;
  bool reseed = false;  // re-apply .sql files whose checksum changed instead of failing
  progress::Reporter* reporter = nullptr;
};

struct SeedSummary {
  int applied = 0;  // scripts run, buckets or collections created
  int unchanged = 0;
  std::vector<std::string> notes;  // one line per action, for -v and --json
};

// Throws Error(kFailed) naming the service and the file/bucket/collection that failed.
SeedSummary run_seed(const SeedContext& ctx);

// What the last seeds left, for showing: a postgres service's ledger ("3 scripts applied,
// last 02_schema.sql at 2026-12-02 17:01:07+00"), the buckets or collections the profile
// declares for the others; "" for a service with no seed. Reads only; throws
// Error(kFailed) when the store cannot be reached.
std::string seed_result(const SeedContext& ctx);

}  // namespace biodev::seed
