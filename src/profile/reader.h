// Typed access to profile nodes. Every problem becomes a Diagnostic at the node's
// file:line:col and a neutral value is returned, so one pass reports every mistake.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "profile/errors.h"
#include "profile/node.h"

namespace biodev::profile {

// Reads a mapping, remembering which keys were consumed; finish() reports the rest as
// unknown keys, with a "did you mean" when one is close.
class MapReader {
 public:
  MapReader(const Node& node, std::string what, Diagnostics& diags);
  bool ok() const { return node_.is_map(); }
  const Node* take(const std::string& key);
  void finish();
  const Node& node() const { return node_; }

 private:
  const Node& node_;
  std::string what_;
  Diagnostics& diags_;
  std::set<std::string> taken_;
};

std::optional<std::string> read_string(const Node& n, Diagnostics& d, const std::string& what);
std::optional<long long> read_int(const Node& n, Diagnostics& d, const std::string& what,
                                  long long min, long long max);
std::optional<double> read_double(const Node& n, Diagnostics& d, const std::string& what);
std::optional<bool> read_bool(const Node& n, Diagnostics& d, const std::string& what);
// "250ms", "5s", "2m", "1h", or a bare number of seconds.
std::optional<long long> read_duration_ms(const Node& n, Diagnostics& d, const std::string& what);
// "512m", "1g", "1.5G", "64k", or a bare number of bytes.
std::optional<long long> read_bytes(const Node& n, Diagnostics& d, const std::string& what);
// A string or a list of strings.
std::vector<std::string> read_string_list(const Node& n, Diagnostics& d, const std::string& what);

// Parsers behind the readers, exposed for tests.
std::optional<long long> parse_duration_ms(const std::string& s);
std::optional<long long> parse_bytes(const std::string& s);

}  // namespace biodev::profile
