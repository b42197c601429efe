#include "profile/errors.h"

namespace biodev::profile {
namespace {

std::string join_diagnostics(const std::vector<Diagnostic>& list) {
  std::string out;
  for (size_t i = 0; i < list.size(); ++i) {
    if (i) out += '\n';
    out += list[i].to_string();
  }
  return out;
}

}  // namespace

std::string Diagnostic::to_string() const {
  std::string where = loc.to_string();
  return where.empty() ? message : where + ": " + message;
}

ProfileError::ProfileError(std::vector<Diagnostic> diagnostics)
    : UsageError(join_diagnostics(diagnostics)), diagnostics_(std::move(diagnostics)) {}

void Diagnostics::throw_if_any() const {
  if (!list_.empty()) throw ProfileError(list_);
}

}  // namespace biodev::profile
