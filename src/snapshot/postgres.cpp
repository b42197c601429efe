// Postgres snapshots are databases in the stack's own server, so that a restore is a
// rename (milliseconds whatever the size) instead of a dump replayed.
#include <unistd.h>

#include <ctime>

#include "snapshot/stores.h"

namespace biodev::snapshot {
namespace {

using store::PgConnection;
using store::quote_ident;
using store::quote_literal;
using store::StoreFailure;

// A connection to the server's maintenance database: never to the app database, which
// is renamed, nor to a snapshot's (they refuse connections).
PgConnection admin(const lease::PostgresStore& pg) {
  try {
    return PgConnection(pg, "biodev-snapshot", "postgres");
  } catch (const StoreFailure&) {
    return PgConnection(pg, "biodev-snapshot", "template1");
  }
}

bool exists(PgConnection& c, const std::string& db) {
  return !c.value("SELECT 1 FROM pg_database WHERE datname = $1", {db}).empty();
}

std::string strategy(PgConnection& c) {
  return c.server_version() >= 150000 ? " STRATEGY FILE_COPY" : "";
}

void drop(PgConnection& c, const std::string& db) {
  if (!exists(c, db)) return;
  c.run("ALTER DATABASE " + quote_ident(db) + " IS_TEMPLATE false");
  c.run("DROP DATABASE " + quote_ident(db) + " WITH (FORCE)");
}

// Ends every session on `db` and keeps new ones out (ALLOW_CONNECTIONS false) until
// allow() or the destructor: app services reconnect at once, and a database with a
// session can be neither copied nor renamed.
class Closed {
 public:
  Closed(PgConnection& c, std::string db) : c_(c), db_(std::move(db)) {
    c_.run("ALTER DATABASE " + quote_ident(db_) + " ALLOW_CONNECTIONS false");
    closed_ = true;
    // pg_terminate_backend's timeout (Postgres 14 and later) waits until they are gone.
    std::string wait = c_.server_version() >= 140000 ? ", 5000" : "";
    c_.run("SELECT pg_terminate_backend(pid" + wait +
               ") FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
           {db_});
  }
  ~Closed() {
    try {
      allow();
    } catch (const std::exception&) {
      // The statement that failed is the error to report.
    }
  }
  // The database was set aside: it stays closed until it is dropped.
  void keep_closed() { closed_ = false; }
  void allow() {
    if (!closed_) return;
    closed_ = false;
    c_.run("ALTER DATABASE " + quote_ident(db_) + " ALLOW_CONNECTIONS true");
  }

 private:
  PgConnection& c_;
  std::string db_;
  bool closed_ = false;
};

void mark(PgConnection& c, const std::string& db, const std::string& what) {
  c.run("COMMENT ON DATABASE " + quote_ident(db) + " IS " + quote_literal(what));
}

void make_ready_copy(PgConnection& c, const lease::PostgresStore& pg, const std::string& name) {
  const std::string ready = ready_database(name);
  c.run("CREATE DATABASE " + quote_ident(ready) + " TEMPLATE " +
        quote_ident(template_database(name)) + strategy(c));
  c.run("ALTER DATABASE " + quote_ident(ready) + " ALLOW_CONNECTIONS false");
  mark(c, ready, "biodev snapshot " + name + " of " + pg.database + ": ready copy");
}

}  // namespace

StoreEntry postgres_save(const lease::PostgresStore& pg, const std::string& name) {
  PgConnection c = admin(pg);
  const std::string partial = partial_database(name);
  drop(c, partial);  // left by a save that was killed
  if (!exists(c, pg.database))
    throw StoreFailure("postgres: the app database " + pg.database + " does not exist");
  {
    Closed closed(c, pg.database);
    c.run("CREATE DATABASE " + quote_ident(partial) + " TEMPLATE " + quote_ident(pg.database) +
          strategy(c));
  }
  c.run("ALTER DATABASE " + quote_ident(partial) +
        " WITH IS_TEMPLATE true ALLOW_CONNECTIONS false");
  mark(c, partial, "biodev snapshot " + name + " of " + pg.database + ": being saved");
  StoreEntry e{"postgres", 0, 0, "database " + pg.database};
  e.bytes = std::stoll(c.value("SELECT pg_database_size($1)", {partial}));
  return e;
}

void postgres_commit(const lease::PostgresStore& pg, const std::string& name) {
  PgConnection c = admin(pg);
  const std::string tpl = template_database(name);
  drop(c, ready_database(name));
  drop(c, tpl);
  c.run("ALTER DATABASE " + quote_ident(partial_database(name)) + " RENAME TO " + quote_ident(tpl));
  mark(c, tpl, "biodev snapshot " + name + " of " + pg.database);
  make_ready_copy(c, pg, name);
}

void postgres_restore(const lease::PostgresStore& pg, const std::string& name) {
  PgConnection c = admin(pg);
  if (!exists(c, template_database(name)))
    throw StoreFailure("postgres: database " + template_database(name) + " of snapshot " + name +
                       " is missing (was .data/ deleted since?)");
  const std::string ready = ready_database(name);
  if (!exists(c, ready)) make_ready_copy(c, pg, name);
  if (exists(c, pg.database)) {
    Closed closed(c, pg.database);
    const std::string aside =
        set_aside_database(std::to_string(getpid()) + "_" + std::to_string(std::time(nullptr)));
    c.run("ALTER DATABASE " + quote_ident(pg.database) + " RENAME TO " + quote_ident(aside));
    closed.keep_closed();
    mark(c, aside, "biodev snapshot " + name + ": the app database before a restore, to drop");
  }
  c.run("ALTER DATABASE " + quote_ident(ready) + " RENAME TO " + quote_ident(pg.database));
  c.run("ALTER DATABASE " + quote_ident(pg.database) + " ALLOW_CONNECTIONS true");
  c.run("COMMENT ON DATABASE " + quote_ident(pg.database) + " IS NULL");
}

void postgres_prepare(const lease::PostgresStore& pg, const std::string& name) {
  PgConnection c = admin(pg);
  auto r = c.run("SELECT datname FROM pg_database WHERE datname LIKE 'biodev\\_snapold\\_%'");
  for (int i = 0; i < PQntuples(r.get()); ++i) drop(c, PQgetvalue(r.get(), i, 0));
  if (exists(c, template_database(name)) && !exists(c, ready_database(name)))
    make_ready_copy(c, pg, name);
}

void postgres_abort(const lease::PostgresStore& pg, const std::string& name) {
  PgConnection c = admin(pg);
  drop(c, partial_database(name));
}

void postgres_drop(const lease::PostgresStore& pg, const std::string& name) {
  PgConnection c = admin(pg);
  for (const auto& db : {partial_database(name), ready_database(name), template_database(name)})
    drop(c, db);
}

}  // namespace biodev::snapshot
