// Errors that end a command. Thrown at the point of failure, caught once in main,
// where `exit_code` becomes the process exit status (docs/cli.md, "Exit codes").
#pragma once

#include <stdexcept>
#include <string>

namespace biodev {

enum class ExitCode : int {
  kOk = 0,
  kFailed = 1,       // unhealthy, or a command/engine operation failed
  kUsage = 2,        // bad command line or bad profile
  kUnreachable = 3,  // no Docker engine answered
  kNotFound = 4,     // what the command names does not exist (a snapshot)
};

class Error : public std::runtime_error {
 public:
  Error(ExitCode code, std::string message) : std::runtime_error(std::move(message)), code_(code) {}
  ExitCode code() const { return code_; }

 private:
  ExitCode code_;
};

// Profile and usage problems: exit 2, nothing touched.
class UsageError : public Error {
 public:
  explicit UsageError(std::string message) : Error(ExitCode::kUsage, std::move(message)) {}
};

}  // namespace biodev
