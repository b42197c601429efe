// Postgres seeding: the *.sql and *.sh files of a folder, in name order, each applied
// once and recorded in biodev_seed_ledger inside the seeded database.
//
// - A .sql file runs in one transaction together with its ledger row: a failing file
//   leaves nothing half applied and is not recorded (files before it stay applied).
//   Statements that cannot run in a transaction block (CREATE DATABASE, VACUUM,
//   CREATE INDEX CONCURRENTLY) belong in a .sh script, as do psql meta-commands
//   (\connect, \set): the server runs the file, not psql. Session settings a file makes
//   (SET search_path, SET ROLE) end with it, as with one psql session per file.
// - A .sh file runs inside the container through `sh -c`, with PGHOST/PGPORT/PGUSER/
//   PGPASSWORD/PGDATABASE set, and is recorded after it exits 0.
// - A recorded file whose checksum changed is an error naming it, checked for every file
//   before anything runs, unless reseeding: then it is applied again and its row updated.
// - A session-level advisory lock (kSeedLockKey) is held throughout, so two seeders of
//   one database never interleave.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "docker/client.h"
#include "seed/common.h"
#include "seed/seed.h"

namespace biodev::seed {

inline constexpr long long kSeedLockKey = 0x62696f6465767364;  // "biodevsd"
inline constexpr const char* kLedgerTable = "biodev_seed_ledger";

struct PostgresTarget {
  std::string host = "127.0.0.1";
  int port = 5432;  // published on the host
  std::string user = "postgres";
  std::string password;  // "" = none (trust, .pgpass, PGPASSWORD)
  std::string database = "postgres";
  int container_port = 5432;  // PGPORT for .sh scripts run inside the container
  int connect_timeout_s = 5;
};

// Runs `cmd` with `env` ("K=V") inside the service's container.
using ShellRunner = std::function<docker::ExecResult(const std::vector<std::string>& cmd,
                                                     const std::vector<std::string>& env)>;

struct PostgresSeedOptions {
  std::string scripts_dir;  // absolute; missing or empty = nothing to do
  std::string shown_dir;    // how messages name the folder ("init-scripts/postgres")
  bool reseed = false;
  ShellRunner shell;  // empty: a .sh file is an error saying there is no container
  Progress progress;
  // Longest wait for another seeder's lock before giving up.
  std::chrono::milliseconds lock_timeout = std::chrono::minutes(10);
};

struct LedgerEntry {
  std::string name;
  std::string checksum;
  std::string applied_at;  // as Postgres prints timestamptz, in UTC
};
// The ledger as it stands, newest first; empty when nothing was ever seeded (no table).
// Reads only. Throws SeedFailure when the database cannot be reached.
std::vector<LedgerEntry> read_postgres_ledger(const PostgresTarget& target);

// Throws SeedFailure naming the file (and line, when Postgres gives a position).
SeedSummary seed_postgres(const PostgresTarget& target, const PostgresSeedOptions& options);

}  // namespace biodev::seed
