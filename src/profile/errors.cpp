#include "profile/errors.h"

#include <algorithm>

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
  if (list_.empty()) return;
  // The same mistake can be found twice: a service's offline: variant re-reads every
  // key of the base service. Report each file:line:col: message once, in first order.
  std::vector<Diagnostic> unique;
  for (const auto& diag : list_) {
    bool seen = std::any_of(unique.begin(), unique.end(), [&](const Diagnostic& u) {
      return u.loc.file == diag.loc.file && u.loc.line == diag.loc.line &&
             u.loc.col == diag.loc.col && u.message == diag.message;
    });
    if (!seen) unique.push_back(diag);
  }
  throw ProfileError(std::move(unique));
}

}  // namespace biodev::profile
