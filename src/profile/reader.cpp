#include "profile/reader.h"

#include <charconv>
#include <cmath>

#include "util/strings.h"

namespace biodev::profile {

MapReader::MapReader(const Node& node, std::string what, Diagnostics& diags)
    : node_(node), what_(std::move(what)), diags_(diags) {
  if (!node.is_map() && !node.is_null())
    diags_.add(node.loc, what_ + " must be a mapping, not " + node.kind_name());
}

const Node* MapReader::take(const std::string& key) {
  taken_.insert(key);
  if (!node_.is_map()) return nullptr;
  const Node* n = node_.get(key);
  return n;
}

void MapReader::finish() {
  if (!node_.is_map()) return;
  std::vector<std::string> known(taken_.begin(), taken_.end());
  for (size_t i = 0; i < node_.entries.size(); ++i) {
    const std::string& key = node_.entries[i].first;
    if (taken_.count(key)) continue;
    std::string msg = "unknown key \"" + key + "\" in " + what_;
    std::string hint = closest_match(key, known);
    if (!hint.empty()) msg += " (did you mean \"" + hint + "\"?)";
    diags_.add(node_.key_locs[i], msg);
  }
}

std::optional<std::string> read_string(const Node& n, Diagnostics& d, const std::string& what) {
  if (!n.is_scalar()) {
    d.add(n.loc, what + " must be a string, not " + n.kind_name());
    return std::nullopt;
  }
  return n.scalar;
}

std::optional<long long> read_int(const Node& n, Diagnostics& d, const std::string& what,
                                  long long min, long long max) {
  if (!n.is_scalar()) {
    d.add(n.loc, what + " must be a number, not " + n.kind_name());
    return std::nullopt;
  }
  long long v = 0;
  const std::string& s = n.scalar;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) {
    d.add(n.loc, what + " must be a whole number, not \"" + s + "\"");
    return std::nullopt;
  }
  if (v < min || v > max) {
    d.add(n.loc, what + " must be between " + std::to_string(min) + " and " + std::to_string(max) +
                     ", not " + s);
    return std::nullopt;
  }
  return v;
}

std::optional<double> read_double(const Node& n, Diagnostics& d, const std::string& what) {
  if (n.is_scalar()) {
    char* end = nullptr;
    double v = std::strtod(n.scalar.c_str(), &end);
    if (!n.scalar.empty() && end && *end == '\0' && std::isfinite(v)) return v;
  }
  d.add(n.loc, what + " must be a number");
  return std::nullopt;
}

std::optional<bool> read_bool(const Node& n, Diagnostics& d, const std::string& what) {
  if (n.is_scalar()) {
    std::string s = to_lower(n.scalar);
    if (s == "true" || s == "yes" || s == "on") return true;
    if (s == "false" || s == "no" || s == "off") return false;
  }
  d.add(n.loc, what + " must be true or false");
  return std::nullopt;
}

std::optional<long long> parse_duration_ms(const std::string& raw) {
  std::string s = trim(raw);
  if (s.empty()) return std::nullopt;
  size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  if (i == 0) return std::nullopt;
  char* end = nullptr;
  std::string num = s.substr(0, i);
  double v = std::strtod(num.c_str(), &end);
  if (*end != '\0') return std::nullopt;
  std::string unit = s.substr(i);
  double scale;
  if (unit.empty() || unit == "s") scale = 1000;
  else if (unit == "ms") scale = 1;
  else if (unit == "m") scale = 60'000;
  else if (unit == "h") scale = 3'600'000;
  else return std::nullopt;
  return static_cast<long long>(std::llround(v * scale));
}

std::optional<long long> parse_bytes(const std::string& raw) {
  std::string s = to_lower(trim(raw));
  if (s.empty()) return std::nullopt;
  if (s.back() == 'b' && s.size() > 1 && !std::isdigit(static_cast<unsigned char>(s[s.size() - 2])))
    s.pop_back();  // "512mb" -> "512m"
  double scale = 1;
  switch (s.back()) {
    case 'k': scale = 1024.0; break;
    case 'm': scale = 1024.0 * 1024; break;
    case 'g': scale = 1024.0 * 1024 * 1024; break;
    default: break;
  }
  if (scale != 1 || s.back() == 'b') s.pop_back();
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0' || v < 0) return std::nullopt;
  return static_cast<long long>(std::llround(v * scale));
}

std::optional<long long> read_duration_ms(const Node& n, Diagnostics& d, const std::string& what) {
  if (n.is_scalar())
    if (auto v = parse_duration_ms(n.scalar)) return v;
  d.add(n.loc, what + " must be a duration like 500ms, 5s or 2m");
  return std::nullopt;
}

std::optional<long long> read_bytes(const Node& n, Diagnostics& d, const std::string& what) {
  if (n.is_scalar())
    if (auto v = parse_bytes(n.scalar)) return v;
  d.add(n.loc, what + " must be a size like 512m or 2g");
  return std::nullopt;
}

std::vector<std::string> read_string_list(const Node& n, Diagnostics& d, const std::string& what) {
  std::vector<std::string> out;
  if (n.is_scalar()) {
    out.push_back(n.scalar);
  } else if (n.is_seq()) {
    for (const auto& item : n.items)
      if (auto s = read_string(item, d, what + " entries")) out.push_back(*s);
  } else if (!n.is_null()) {
    d.add(n.loc, what + " must be a string or a list of strings, not " + n.kind_name());
  }
  return out;
}

}  // namespace biodev::profile
