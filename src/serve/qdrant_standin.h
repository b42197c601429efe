// `biodev serve qdrant-standin`: an offline stand-in for Qdrant's REST API (port 6333),
// for machines with no Qdrant image. It is not Qdrant: it serves the subset that biodev's
// seeding and simple apps use, with brute-force search, and says so in GET / and its
// startup line.
//
//   GET    /  /healthz  /livez  /readyz  /metrics
//   GET    /collections
//   GET    /collections/{name}                  PUT (create)  DELETE
//   GET    /collections/{name}/exists
//   PUT    /collections/{name}/points           upsert ("points" or "batch")
//   POST   /collections/{name}/points           retrieve by ids
//   GET    /collections/{name}/points/{id}
//   POST   /collections/{name}/points/{search,query,count,scroll,delete}
//   PUT    /collections/{name}/index            create payload index (schema only)
//   DELETE /collections/{name}/index/{field}
//
// Replies use Qdrant's envelope: {"result":...,"status":"ok","time":0.0001}, errors
// {"status":{"error":"..."},"time":...} with Qdrant's status codes (404 unknown
// collection, 409 existing collection, 400 bad input).
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

  static QdrantStandinConfig from_env();
};

class QdrantStandin {
 public:
  explicit QdrantStandin(QdrantStore& store);
  Reply handle(const Request& req);  // thread-safe

 private:
  // Each sets `route` to the endpoint's label for metrics; errors are QdrantError.
  Reply dispatch(const Request& req, std::string_view& route);
  Reply collection_endpoint(const Request& req, const std::vector<std::string>& seg,
                            std::string_view& route);
  Reply index_endpoint(const Request& req, const std::vector<std::string>& seg,
                       std::string_view& route);
  Reply points_endpoint(const Request& req, const std::vector<std::string>& seg,
                        std::string_view& route);

  QdrantStore& store_;
  RequestMetrics metrics_{"biodev_qdrant_standin"};
};

// Loads the state, serves until SIGINT/SIGTERM; returns the exit code.
int run_qdrant_standin(const QdrantStandinConfig& config);

}  // namespace biodev::serve
