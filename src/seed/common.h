// Pieces shared by the per-kind seeders behind run_seed (seed.h).
//
// The seeders throw SeedFailure with a message that names the file, bucket or collection
// but not the service; run_seed prefixes "service <name>: ", strips secrets and turns it
// into Error(kFailed).
#pragma once

#include <functional>
#include <stdexcept>
#include <string>

namespace biodev::seed {

class SeedFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Called before each action that changes something, with a short detail
// ("02_schema.sql", "bucket raw-data").
using Progress = std::function<void(const std::string& detail)>;

enum class Outcome { kCreated, kUnchanged };

}  // namespace biodev::seed
