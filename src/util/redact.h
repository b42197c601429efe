// Keeps secrets out of everything biodev prints: config output, logs, error messages.
// A Redactor knows secret values (from the profile) and replaces each occurrence.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace biodev {

inline constexpr const char* kRedacted = "********";

class Redactor {
 public:
  Redactor() = default;
  explicit Redactor(const std::map<std::string, std::string>& secrets_by_name);
  void add(const std::string& value);
  std::string operator()(std::string_view text) const;
  bool empty() const { return values_.empty(); }

 private:
  std::vector<std::string> values_;  // longest first, so overlapping secrets redact fully
};

// The process-wide redactor used by logging and error printing; set once the profile is
// loaded.
Redactor& global_redactor();

}  // namespace biodev
