#include "util/libpq_shim.h"

#include <dlfcn.h>
#include <libpq-fe.h>
#include <link.h>

#include <mutex>

#include "util/error.h"

namespace biodev {
namespace {

constexpr const char* kLibpq = "libpq.so.5";

void* handle() {
  static void* h = nullptr;
  static std::string failure;
  static std::once_flag once;
  std::call_once(once, [] {
    h = dlopen(kLibpq, RTLD_NOW | RTLD_LOCAL);
    if (!h) failure = dlerror();
  });
  if (!h)
    throw Error(ExitCode::kFailed, std::string("Postgres probes and seeds need libpq (Debian package libpq5): ") +
                                       failure);
  return h;
}

template <typename F>
F* resolve(const char* name) {
  void* f = dlsym(handle(), name);
  if (!f) throw Error(ExitCode::kFailed, std::string(kLibpq) + " has no " + name);
  return reinterpret_cast<F*>(f);
}

}  // namespace

void libpq_load() { handle(); }

std::string libpq_path() {
  link_map* map = nullptr;
  if (dlinfo(handle(), RTLD_DI_LINKMAP, &map) != 0 || !map || !map->l_name || !*map->l_name)
    throw Error(ExitCode::kFailed, std::string("cannot tell where ") + kLibpq + " was loaded from");
  return map->l_name;
}

}  // namespace biodev

// Each forwarder has the very signature <libpq-fe.h> declares (a mismatch does not
// compile) and looks its target up once. Only the functions biodev calls: a new call
// to another one fails to link until it is added here.
#define BIODEV_PQ_FORWARD(ret, name, params, args)                      \
  extern "C" ret name params {                                          \
    static auto* target = biodev::resolve<decltype(::name)>(#name);      \
    return target args;                                                 \
  }

BIODEV_PQ_FORWARD(PGconn*, PQconnectdbParams, (const char* const* keywords, const char* const* values, int expand_dbname), (keywords, values, expand_dbname))
BIODEV_PQ_FORWARD(PGconn*, PQconnectStartParams, (const char* const* keywords, const char* const* values, int expand_dbname), (keywords, values, expand_dbname))
BIODEV_PQ_FORWARD(PostgresPollingStatusType, PQconnectPoll, (PGconn* conn), (conn))
BIODEV_PQ_FORWARD(void, PQfinish, (PGconn* conn), (conn))
BIODEV_PQ_FORWARD(ConnStatusType, PQstatus, (const PGconn* conn), (conn))
BIODEV_PQ_FORWARD(char*, PQerrorMessage, (const PGconn* conn), (conn))
BIODEV_PQ_FORWARD(int, PQsocket, (const PGconn* conn), (conn))
BIODEV_PQ_FORWARD(int, PQconnectionNeedsPassword, (const PGconn* conn), (conn))
BIODEV_PQ_FORWARD(PGPing, PQping, (const char* conninfo), (conninfo))
BIODEV_PQ_FORWARD(PGresult*, PQexec, (PGconn* conn, const char* query), (conn, query))
BIODEV_PQ_FORWARD(PGresult*, PQexecParams, (PGconn* conn, const char* command, int nParams, const Oid* paramTypes, const char* const* paramValues, const int* paramLengths, const int* paramFormats, int resultFormat), (conn, command, nParams, paramTypes, paramValues, paramLengths, paramFormats, resultFormat))
BIODEV_PQ_FORWARD(PGresult*, PQgetResult, (PGconn* conn), (conn))
BIODEV_PQ_FORWARD(ExecStatusType, PQresultStatus, (const PGresult* res), (res))
BIODEV_PQ_FORWARD(char*, PQresultErrorMessage, (const PGresult* res), (res))
BIODEV_PQ_FORWARD(char*, PQresultErrorField, (const PGresult* res, int fieldcode), (res, fieldcode))
BIODEV_PQ_FORWARD(void, PQclear, (PGresult* res), (res))
BIODEV_PQ_FORWARD(int, PQntuples, (const PGresult* res), (res))
BIODEV_PQ_FORWARD(char*, PQgetvalue, (const PGresult* res, int tup_num, int field_num), (res, tup_num, field_num))
BIODEV_PQ_FORWARD(int, PQgetCopyData, (PGconn* conn, char** buffer, int async), (conn, buffer, async))
BIODEV_PQ_FORWARD(int, PQputCopyEnd, (PGconn* conn, const char* errormsg), (conn, errormsg))
BIODEV_PQ_FORWARD(void, PQfreemem, (void* ptr), (ptr))
BIODEV_PQ_FORWARD(PGVerbosity, PQsetErrorVerbosity, (PGconn* conn, PGVerbosity verbosity), (conn, verbosity))
BIODEV_PQ_FORWARD(PQnoticeProcessor, PQsetNoticeProcessor, (PGconn* conn, PQnoticeProcessor proc, void* arg), (conn, proc, arg))
