// `biodev serve qdrant-standin`: an offline stand-in for Qdrant's REST API (port 6333),
// for machines with no Qdrant image. It is not Qdrant: it serves the subset that biodev's
// seeding and apps through Qdrant's clients use, with brute-force search and one unnamed
// vector per point, and says so in GET / and its startup line.
//
//   GET    /  /healthz  /livez  /readyz  /metrics
//   GET    /collections   /aliases            POST /collections/aliases (actions)
//   GET    /collections/{name}                  PUT (create)  PATCH (update)  DELETE
//   GET    /collections/{name}/exists   /collections/{name}/aliases
//   PUT    /collections/{name}/points           upsert ("points" or "batch")
//   POST   /collections/{name}/points           retrieve by ids
//   GET    /collections/{name}/points/{id}
//   POST   /collections/{name}/points/{search,query,recommend}[/batch|/groups]
//   POST   /collections/{name}/points/{count,scroll,delete,batch}
//   POST   /collections/{name}/points/payload   set       PUT (overwrite)
//   POST   /collections/{name}/points/payload/{delete,clear}
//   PUT    /collections/{name}/points/vectors   update    POST .../vectors/delete
//   PUT    /collections/{name}/index            create payload index (schema only)
//   DELETE /collections/{name}/index/{field}
//   POST   /collections/{name}/snapshots        create    GET (list)
//   GET    /collections/{name}/snapshots/{snapshot}      download    DELETE
//   PUT    /collections/{name}/snapshots/recover        POST .../snapshots/upload
//
// Replies use Qdrant's envelope: {"result":...,"status":"ok","time":0.0001}, errors
// {"status":{"error":"..."},"time":...} with Qdrant's status codes (404 unknown
// collection, 409 existing collection, 400 bad input); ?wait=false answers
// "acknowledged" for point changes and 202 {"status":"accepted"} for snapshots.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "serve/metrics.h"
#include "serve/qdrant_store.h"
#include "serve/server.h"

namespace biodev::serve {

inline constexpr const char* kQdrantStandinTitle = "biodev qdrant stand-in (not Qdrant)";
// The Qdrant API level the stand-in answers like; clients compare it with their own.
inline constexpr const char* kQdrantStandinVersion = "1.12.0";

struct QdrantStandinConfig {
  std::string host = "0.0.0.0";
  int port = 6333;  // QDRANT__SERVICE__HTTP_PORT
  int threads = 0;  // BIODEV_SERVE_THREADS
  // QDRANT_STORAGE, else QDRANT__STORAGE__STORAGE_PATH (Qdrant's own variable).
  std::string storage_dir = "/qdrant/storage";
  // QDRANT__STORAGE__SNAPSHOTS_PATH; empty = <storage_dir>/snapshots.
  std::string snapshots_dir;

  static QdrantStandinConfig from_env();
};

class QdrantStandin {
 public:
  explicit QdrantStandin(QdrantStore& store);
  Reply handle(const Request& req);  // thread-safe

 private:
  // Each sets `route` to the endpoint's label for metrics; errors are QdrantError.
  Reply dispatch(const Request& req, std::string_view& route);
  Reply service_endpoint(const Request& req, const std::vector<std::string>& seg,
                         std::string_view& route);
  Reply collection_endpoint(const Request& req, const std::vector<std::string>& seg,
                            std::string_view& route);
  Reply index_endpoint(const Request& req, const std::vector<std::string>& seg,
                       std::string_view& route);
  Reply points_endpoint(const Request& req, const std::vector<std::string>& seg,
                        std::string_view& route);
  Reply aliases_endpoint(const Request& req, const std::vector<std::string>& seg,
                         std::string_view& route);
  Reply snapshots_endpoint(const Request& req, const std::vector<std::string>& seg,
                           std::string_view& route);

  QdrantStore& store_;
  RequestMetrics metrics_{"biodev_qdrant_standin"};
};

// Loads the state, serves until SIGINT/SIGTERM; returns the exit code.
int run_qdrant_standin(const QdrantStandinConfig& config);

}  // namespace biodev::serve
