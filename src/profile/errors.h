// Profile problems, reported as "file:line:col: message" with exit code 2.
#pragma once

#include <string>
#include <vector>

#include "profile/model.h"
#include "util/error.h"

namespace biodev::profile {

struct Diagnostic {
  SourceLoc loc;
  std::string message;
  std::string to_string() const;  // "file:line:col: message"
};

// One or more diagnostics; what() lists them one per line.
class ProfileError : public UsageError {
 public:
  explicit ProfileError(std::vector<Diagnostic> diagnostics);
  ProfileError(const SourceLoc& loc, const std::string& message)
      : ProfileError(std::vector<Diagnostic>{{loc, message}}) {}
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }

 private:
  std::vector<Diagnostic> diagnostics_;
};

// Collects diagnostics so validation reports every problem at once, not just the first.
class Diagnostics {
 public:
  void add(const SourceLoc& loc, std::string message) {
    list_.push_back({loc, std::move(message)});
  }
  bool empty() const { return list_.empty(); }
  // Throws ProfileError when anything was added.
  void throw_if_any() const;

 private:
  std::vector<Diagnostic> list_;
};

}  // namespace biodev::profile
