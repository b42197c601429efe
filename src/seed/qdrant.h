// Qdrant seeding: collections created through the REST API, never changed or dropped.
// An existing collection whose vector size or distance differs from the profile is an
// error, because fixing it means deleting data, which is the user's call.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "profile/model.h"
#include "seed/common.h"
#include "seed/http.h"
#include "seed/seed.h"

namespace biodev::seed {

struct QdrantTarget {
  std::string host = "127.0.0.1";
  int port = 6333;
  std::string api_key;  // sent as "api-key" when the service sets one
  std::chrono::milliseconds timeout = std::chrono::seconds(10);
};

// GET /collections/{name}; on 404, PUT it with {"vectors":{"size":N,"distance":D}}.
// 200 with the same size and distance is kUnchanged; a different one, named vectors, or
// any unexpected status throws SeedFailure naming the collection. `progress` is called
// just before the PUT.
Outcome ensure_collection(const QdrantTarget& target, const profile::Collection& collection,
                          const Progress& progress = {});

// ensure_collection for each collection in order.
SeedSummary seed_qdrant(const QdrantTarget& target,
                        const std::vector<profile::Collection>& collections,
                        const Progress& progress);

}  // namespace biodev::seed
