// Small pieces shared by the client's translation units: query strings and tolerant
// readers for engine JSON (the engine sends null for empty maps and lists).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "docker/transport.h"

namespace biodev::docker::detail {

// "?a=1&b=x%20y": values are URL-encoded as they are added.
class Query {
 public:
  Query& add(std::string_view key, std::string_view value);
  Query& add_if(bool condition, std::string_view key, std::string_view value) {
    return condition ? add(key, value) : *this;
  }
  // For values already URL-encoded (encode_filters()).
  Query& add_encoded(std::string_view key, std::string_view value);
  const std::string& str() const { return text_; }

 private:
  std::string text_;
};

// Field readers returning an empty value when the field is absent, null or mistyped.
std::string str(const nlohmann::json& j, const char* key);
std::map<std::string, std::string> string_map(const nlohmann::json& j, const char* key);
std::vector<std::string> string_list(const nlohmann::json& j, const char* key);

// The response body as JSON; EngineError(kProtocol) naming `what` when it is not.
nlohmann::json parse_json(const HttpResponse& r, const std::string& what);

// The message of an {"error": ...} / {"errorDetail": {...}} line in a progress stream,
// or "" for an ordinary progress line.
std::string stream_error(const nlohmann::json& event);

// "1.41" < "1.45" compared numerically; malformed versions order first.
bool version_less(std::string_view a, std::string_view b);

}  // namespace biodev::docker::detail
