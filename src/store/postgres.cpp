#include "store/clients.h"
#include "util/strings.h"

namespace biodev::store {

PgConnection::PgConnection(const PostgresStore& s, const std::string& application_name,
                           const std::string& database) {
  const std::string port = std::to_string(s.port);
  const std::string db = database.empty() ? s.database : database;
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
                          db.c_str(),
                          "disable",
                          "5",
                          application_name.c_str(),
                          nullptr};
  conn_ = PQconnectdbParams(keys, values, 0);
  if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
    std::string why = conn_ ? trim(PQerrorMessage(conn_)) : "out of memory";
    PQfinish(conn_);
    conn_ = nullptr;
    throw StoreFailure("postgres " + s.host + ":" + port + ": " + why);
  }
}

PgConnection::~PgConnection() {
  if (conn_) PQfinish(conn_);
}

bool PgConnection::ok() const { return conn_ && PQstatus(conn_) == CONNECTION_OK; }

PgResult PgConnection::run(const std::string& sql, const std::vector<std::string>& params) {
  std::vector<const char*> p;
  for (const auto& s : params) p.push_back(s.c_str());
  PgResult r(PQexecParams(conn_, sql.c_str(), static_cast<int>(p.size()), nullptr, p.data(),
                          nullptr, nullptr, 0),
             &PQclear);
  ExecStatusType st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    std::string msg = r ? trim(PQresultErrorMessage(r.get())) : trim(PQerrorMessage(conn_));
    throw StoreFailure("postgres: " + first_line(msg));
  }
  return r;
}

std::string PgConnection::value(const std::string& sql, const std::vector<std::string>& params) {
  auto r = run(sql, params);
  if (PQntuples(r.get()) < 1) return "";  // a NULL reads as "" too
  return PQgetvalue(r.get(), 0, 0);
}

int PgConnection::server_version() {
  if (version_ == 0) version_ = std::stoi(value("SHOW server_version_num"));
  return version_;
}

}  // namespace biodev::store
