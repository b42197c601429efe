// Engine failures, classified so callers can react (recreate on conflict, explain a
// busy port) and so main can map them to exit codes (unreachable -> 3).
#pragma once

#include <string>
#include <string_view>

#include "util/error.h"

namespace biodev::docker {

enum class ErrorKind {
  kUnreachable,    // could not connect / connection dropped before an answer
  kTimeout,        // no answer within the call's deadline
  kNotFound,       // 404
  kConflict,       // 409 (name in use, container running, ...)
  kPortAllocated,  // 500 "port is already allocated" / "address already in use"
  kBadRequest,     // 400
  kServer,         // other 5xx
  kProtocol,       // malformed HTTP or JSON from the engine
  kPullFailed,     // 200 stream carrying errorDetail
  kBuildFailed,    // 200 build stream carrying errorDetail / error
};

class EngineError : public Error {
 public:
  EngineError(ErrorKind kind, int status, std::string message)
      : Error(kind == ErrorKind::kUnreachable ? ExitCode::kUnreachable : ExitCode::kFailed,
              std::move(message)),
        kind_(kind),
        status_(status) {}
  ErrorKind kind() const { return kind_; }
  int status() const { return status_; }

 private:
  ErrorKind kind_;
  int status_;
};

// The engine's error text: the "message" of a {"message": ...} body, else the raw body
// trimmed (proxies and very old engines answer in plain text).
std::string message_from_body(std::string_view body);

// Maps an HTTP status and the engine's {"message": ...} text to a kind.
ErrorKind classify(int status, const std::string& message);

// For kPortAllocated messages: the "ip:port" the engine could not bind, or "" if the
// message does not name one. Engine texts differ by version:
//   "Bind for 127.0.0.1:5432 failed: port is already allocated"
//   "listen tcp4 127.0.0.1:5432: bind: address already in use"
std::string port_from_message(const std::string& message);

// A start refused because containerd still holds a task under the container's id
// ("task <id>: already exists"), which an engine restart can leave behind: no start of
// that container succeeds until containerd is cleaned up, a new container does.
bool is_stale_task(const EngineError& e);

// A start refused because two networks have the name the container names ("network
// <name> is ambiguous (2 matches found based on name)").
bool is_ambiguous_network(const EngineError& e);

// A network removal refused because containers are attached ("network ... has active
// endpoints"); the engine answers 403 or 500 by version, Podman 500 ("network is being
// used").
bool is_network_in_use(const EngineError& e);

}  // namespace biodev::docker
