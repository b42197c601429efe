#include "seed/postgres.h"

#include <libpq-fe.h>

#include <cstdlib>
#include <memory>
#include <thread>

#include "seed/ledger.h"
#include "util/strings.h"

namespace biodev::seed {
namespace {

using ResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;

std::string first_line(const char* s) {
  if (!s) return {};
  std::string t = trim(s);
  return t.substr(0, t.find('\n'));
}

void ignore_notice(void*, const char*) {}

class Connection {
 public:
  explicit Connection(const PostgresTarget& t) {
    const std::string port = std::to_string(t.port);
    const std::string timeout = std::to_string(t.connect_timeout_s);
    std::vector<std::pair<const char*, const char*>> params = {
        {"host", t.host.c_str()},    {"port", port.c_str()},
        {"user", t.user.c_str()},    {"dbname", t.database.c_str()},
        {"sslmode", "disable"},      {"connect_timeout", timeout.c_str()},
        {"client_encoding", "UTF8"}, {"application_name", "biodev-seed"}};
    if (!t.password.empty()) params.emplace_back("password", t.password.c_str());
    std::vector<const char*> keys, values;
    for (const auto& [k, v] : params) {
      keys.push_back(k);
      values.push_back(v);
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);
    conn_ = PQconnectdbParams(keys.data(), values.data(), 0);
    if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
      std::string why = conn_ ? trim(PQerrorMessage(conn_)) : "out of memory";
      PQfinish(conn_);
      throw SeedFailure("cannot connect to " + t.host + ":" + port + " as " + t.user +
                        " (database " + t.database + "): " + why);
    }
    // Scripts' RAISE NOTICE would otherwise go straight to stderr, through the live view.
    PQsetNoticeProcessor(conn_, ignore_notice, nullptr);
  }
  ~Connection() { PQfinish(conn_); }  // also releases the session's advisory lock
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  PGconn* get() const { return conn_; }

  // Runs `sql` (no parameters); throws SeedFailure prefixed with `what` on failure.
  ResultPtr run(const std::string& sql, const std::string& what) {
    return check(ResultPtr(PQexec(conn_, sql.c_str()), &PQclear), what);
  }

  ResultPtr run(const std::string& sql, const std::vector<std::string>& params,
                const std::string& what) {
    std::vector<const char*> p;
    for (const auto& s : params) p.push_back(s.c_str());
    return check(ResultPtr(PQexecParams(conn_, sql.c_str(), static_cast<int>(p.size()), nullptr,
                                        p.data(), nullptr, nullptr, 0),
                           &PQclear),
                 what);
  }

 private:
  ResultPtr check(ResultPtr r, const std::string& what) {
    ExecStatusType s = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) return r;
    std::string msg = r ? first_line(PQresultErrorMessage(r.get())) : "";
    if (msg.empty()) msg = first_line(PQerrorMessage(conn_));
    throw SeedFailure(what + ": " + msg);
  }

  PGconn* conn_ = nullptr;
};

void take_lock(Connection& c, const PostgresSeedOptions& o) {
  const std::string sql = "SELECT pg_try_advisory_lock(" + std::to_string(kSeedLockKey) + ")";
  auto deadline = std::chrono::steady_clock::now() + o.lock_timeout;
  bool told = false;
  while (true) {
    ResultPtr r = c.run(sql, "taking the seed lock");
    if (std::string(PQgetvalue(r.get(), 0, 0)) == "t") return;
    if (std::chrono::steady_clock::now() >= deadline)
      throw SeedFailure("another seeder has been holding the seed lock (pg_advisory_lock " +
                        std::to_string(kSeedLockKey) + ") for too long");
    if (!told && o.progress) o.progress("waiting for another seeder");
    told = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

std::vector<LedgerRow> read_ledger(Connection& c) {
  c.run(std::string("CREATE TABLE IF NOT EXISTS ") + kLedgerTable +
            " (name text PRIMARY KEY, checksum text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())",
        std::string("creating ") + kLedgerTable);
  ResultPtr r = c.run(std::string("SELECT name, checksum FROM ") + kLedgerTable,
                      std::string("reading ") + kLedgerTable);
  std::vector<LedgerRow> rows;
  for (int i = 0; i < PQntuples(r.get()); ++i)
    rows.push_back({PQgetvalue(r.get(), i, 0), PQgetvalue(r.get(), i, 1)});
  return rows;
}

void record(Connection& c, const ScriptFile& f, const std::string& shown) {
  c.run(std::string("INSERT INTO ") + kLedgerTable +
            " (name, checksum) VALUES ($1, $2) ON CONFLICT (name)"
            " DO UPDATE SET checksum = EXCLUDED.checksum, applied_at = now()",
        {f.name, f.checksum}, shown + ": recording it in " + kLedgerTable);
}

// A script's COPY ... FROM STDIN / TO STDOUT has no data source here: end it so the
// connection is usable for the ROLLBACK.
void abandon_copy(PGconn* conn, ExecStatusType status) {
  if (status == PGRES_COPY_IN) PQputCopyEnd(conn, "COPY with STDIN is not supported in seeds");
  if (status == PGRES_COPY_OUT) {
    char* buf = nullptr;
    while (PQgetCopyData(conn, &buf, 0) > 0) PQfreemem(buf);
  }
  while (PGresult* r = PQgetResult(conn)) PQclear(r);
}

// "init-scripts/postgres/03_x.sql:7: syntax error at or near "TABLEE"".
std::string script_error(const PGresult* r, PGconn* conn, const ScriptFile& f,
                         const std::string& shown) {
  const char* position = r ? PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION) : nullptr;
  int line = position ? line_of_position(f.content, std::atol(position)) : 0;
  std::string msg = shown + (line ? ":" + std::to_string(line) : "") + ": ";
  const char* primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  msg += primary ? std::string(primary) : first_line(PQerrorMessage(conn));
  if (const char* detail = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL) : nullptr)
    msg += " (" + first_line(detail) + ")";
  // The context is innermost first; for a DO block its last line holds the PL/pgSQL line.
  if (const char* context = r ? PQresultErrorField(r, PG_DIAG_CONTEXT) : nullptr)
    msg += "; " + join(split(trim(context), '\n'), "; ");
  return msg;
}

void apply_sql(Connection& c, const ScriptFile& f, const std::string& shown) {
  c.run("BEGIN", shown + ": starting its transaction");
  ResultPtr r(PQexec(c.get(), f.content.c_str()), &PQclear);
  ExecStatusType s = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (s == PGRES_COPY_IN || s == PGRES_COPY_OUT) {
    abandon_copy(c.get(), s);
    c.run("ROLLBACK", shown);
    throw SeedFailure(shown +
                      ": COPY from STDIN or to STDOUT cannot run in a seed; "
                      "use COPY ... FROM a file, INSERT, or a .sh script with psql");
  }
  if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK && s != PGRES_EMPTY_QUERY) {
    std::string msg = script_error(r.get(), c.get(), f, shown);
    PQclear(PQexec(c.get(), "ROLLBACK"));
    throw SeedFailure(msg + " (rolled back; not recorded)");
  }
  // The file's session settings end with it, like a psql session per file would.
  c.run("SET SESSION AUTHORIZATION DEFAULT; RESET ALL", shown + ": resetting the session");
  record(c, f, shown);
  c.run("COMMIT", shown + ": committing");
}

std::vector<std::string> script_env(const PostgresTarget& t) {
  std::vector<std::string> env = {"PGHOST=127.0.0.1", "PGPORT=" + std::to_string(t.container_port),
                                  "PGUSER=" + t.user, "PGDATABASE=" + t.database};
  if (!t.password.empty()) env.push_back("PGPASSWORD=" + t.password);
  return env;
}

void apply_sh(Connection& c, const PostgresTarget& t, const PostgresSeedOptions& o,
              const ScriptFile& f, const std::string& shown) {
  if (!o.shell) throw SeedFailure(shown + ": .sh scripts run inside the container; none is known");
  docker::ExecResult res;
  try {
    // The name is $0, so the script's own error messages say which file they come from.
    res = o.shell({"sh", "-c", f.content, f.name}, script_env(t));
  } catch (const std::exception& e) {
    throw SeedFailure(shown + ": cannot run it in the container: " + e.what());
  }
  if (res.exit_code != 0) {
    std::string tail = tail_lines(res.err.empty() ? res.out : res.err);
    throw SeedFailure(shown + ": exited with status " + std::to_string(res.exit_code) +
                      " (not recorded)" + (tail.empty() ? "" : ":\n" + tail));
  }
  record(c, f, shown);
}

// Every changed file is found before anything runs: applying later files on top of a
// schema that no longer matches its file would only make things harder to untangle.
void refuse_changed(const std::vector<ScriptDecision>& decisions, const std::string& dir) {
  std::vector<const ScriptDecision*> changed;
  for (const auto& d : decisions)
    if (d.action == ScriptAction::kChanged) changed.push_back(&d);
  if (changed.empty()) return;
  const ScriptDecision& d = *changed.front();
  std::string more = changed.size() > 1
                         ? " (and " + std::to_string(changed.size() - 1) + " more changed file" +
                               (changed.size() > 2 ? "s" : "") + ")"
                         : "";
  throw SeedFailure(dir + "/" + d.file->name + " changed since it was applied (checksum " +
                    d.recorded_checksum.substr(0, 12) + " recorded, " +
                    d.file->checksum.substr(0, 12) + " now)" + more +
                    "; seeds apply once: add a new file, or run with --reseed to apply it again");
}

}  // namespace

std::vector<LedgerEntry> read_postgres_ledger(const PostgresTarget& target) {
  Connection conn(target);
  ResultPtr exists = conn.run(std::string("SELECT to_regclass('") + kLedgerTable + "') IS NOT NULL",
                              std::string("looking for ") + kLedgerTable);
  if (std::string(PQgetvalue(exists.get(), 0, 0)) != "t") return {};
  conn.run("SET TIME ZONE 'UTC'", "setting the time zone");
  ResultPtr r = conn.run(std::string("SELECT name, checksum, date_trunc('second', applied_at)::text FROM ") +
                             kLedgerTable + " ORDER BY applied_at DESC, name DESC",
                         std::string("reading ") + kLedgerTable);
  std::vector<LedgerEntry> rows;
  for (int i = 0; i < PQntuples(r.get()); ++i)
    rows.push_back({PQgetvalue(r.get(), i, 0), PQgetvalue(r.get(), i, 1), PQgetvalue(r.get(), i, 2)});
  return rows;
}

SeedSummary seed_postgres(const PostgresTarget& target, const PostgresSeedOptions& options) {
  SeedSummary summary;
  std::vector<ScriptFile> files;
  try {
    files = list_scripts(options.scripts_dir);
  } catch (const std::exception& e) {
    throw SeedFailure(e.what());
  }
  if (files.empty()) return summary;  // no ledger table for a database with nothing to seed

  Connection conn(target);
  take_lock(conn, options);
  auto decisions = decide_scripts(files, read_ledger(conn), options.reseed);
  refuse_changed(decisions, options.shown_dir);
  for (const auto& d : decisions) {
    const ScriptFile& f = *d.file;
    if (d.action == ScriptAction::kUnchanged) {
      ++summary.unchanged;
      summary.notes.push_back("unchanged " + f.name);
      continue;
    }
    if (options.progress) options.progress(f.name);
    const std::string shown = options.shown_dir + "/" + f.name;
    if (f.shell())
      apply_sh(conn, target, options, f, shown);
    else
      apply_sql(conn, f, shown);
    ++summary.applied;
    summary.notes.push_back((d.action == ScriptAction::kReapply ? "reapplied " : "applied ") +
                            f.name);
  }
  return summary;
}

}  // namespace biodev::seed
