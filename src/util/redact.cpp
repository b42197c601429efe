#include "util/redact.h"

#include <algorithm>

namespace biodev {

Redactor::Redactor(const std::map<std::string, std::string>& secrets_by_name) {
  for (const auto& [name, value] : secrets_by_name) add(value);
}

void Redactor::add(const std::string& value) {
  // Very short values would redact ordinary words; the profile loader already skips them.
  if (value.size() < 3) return;
  if (std::find(values_.begin(), values_.end(), value) != values_.end()) return;
  values_.push_back(value);
  std::sort(values_.begin(), values_.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string Redactor::operator()(std::string_view text) const {
  std::string out(text);
  for (const auto& v : values_) {
    size_t pos = 0;
    while ((pos = out.find(v, pos)) != std::string::npos) {
      out.replace(pos, v.size(), kRedacted);
      pos += std::char_traits<char>::length(kRedacted);
    }
  }
  return out;
}

Redactor& global_redactor() {
  static Redactor r;
  return r;
}

}  // namespace biodev
