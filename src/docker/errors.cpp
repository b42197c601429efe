#include "docker/errors.h"

#include <nlohmann/json.hpp>

#include "util/strings.h"

namespace biodev::docker {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// "127.0.0.1:5432" or "[::1]:5432" at the start of `s`, else "".
std::string address_prefix(std::string_view s) {
  size_t i = 0;
  if (!s.empty() && s[0] == '[') {
    i = s.find(']');
    if (i == std::string_view::npos) return "";
    ++i;
  } else {
    while (i < s.size() && (is_digit(s[i]) || s[i] == '.')) ++i;
    if (i == 0) return "";
  }
  if (i >= s.size() || s[i] != ':') return "";
  size_t end = i + 1;
  while (end < s.size() && is_digit(s[end])) ++end;
  if (end == i + 1) return "";
  return std::string(s.substr(0, end));
}

}  // namespace

std::string message_from_body(std::string_view body) {
  // Non-throwing parse: an error body is often not JSON at all (proxies, old engines).
  auto doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_object()) {
    auto it = doc.find("message");
    if (it != doc.end() && it->is_string()) return trim(it->get<std::string>());
  }
  return trim(body);
}

ErrorKind classify(int status, const std::string& message) {
  switch (status) {
    case 400:
      return ErrorKind::kBadRequest;
    case 404:
      return ErrorKind::kNotFound;
    case 409:
      return ErrorKind::kConflict;
    default:
      break;
  }
  if (status >= 500) {
    // The engine reports a busy host port as a plain 500; only the text tells it apart.
    if (message.find("port is already allocated") != std::string::npos ||
        message.find("address already in use") != std::string::npos) {
      return ErrorKind::kPortAllocated;
    }
    return ErrorKind::kServer;
  }
  // 401/403/405/... are refusals of the request as sent; anything below 400 reaching
  // here is a reply the client did not expect at all.
  if (status >= 400) return ErrorKind::kBadRequest;
  return ErrorKind::kProtocol;
}

std::string port_from_message(const std::string& message) {
  // Covers "Bind for 0.0.0.0:5432 failed" (port already allocated by another container)
  // and "listen tcp4 127.0.0.1:5432: bind" (port held by a host process).
  std::string_view text = message;
  for (std::string_view marker : {"Bind for ", "listen tcp", "listen udp"}) {
    for (size_t pos = text.find(marker); pos != std::string_view::npos;
         pos = text.find(marker, pos + 1)) {
      std::string_view rest = text.substr(pos + marker.size());
      if (marker[0] == 'l') {  // "listen tcp4 ", "listen tcp6 " or "listen tcp "
        size_t space = rest.find(' ');
        if (space > 1) continue;
        rest.remove_prefix(space + 1);
      }
      std::string address = address_prefix(rest);
      if (!address.empty()) return address;
    }
  }
  return "";
}

bool is_stale_task(const EngineError& e) {
  std::string_view m = e.what();
  return m.find("task ") != std::string_view::npos && m.find("already exists") != std::string_view::npos;
}

bool is_ambiguous_network(const EngineError& e) {
  return std::string_view(e.what()).find("is ambiguous") != std::string_view::npos;
}

bool is_network_in_use(const EngineError& e) {
  std::string_view m = e.what();
  // Docker: "has active endpoints"; Podman: "... has associated containers with it ...:
  // network is being used".
  return m.find("active endpoints") != std::string_view::npos ||
         m.find("network is being used") != std::string_view::npos;
}

}  // namespace biodev::docker
