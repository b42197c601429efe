#include <doctest/doctest.h>

#include "docker/errors.h"

using namespace biodev::docker;
using biodev::ExitCode;

// Texts as Docker Engine 20.10 sends them.
static const std::string kAllocated =
    "driver failed programming external connectivity on endpoint sample2 (2340f05abe68): "
    "Bind for 0.0.0.0:18080 failed: port is already allocated";
static const std::string kInUse =
    "driver failed programming external connectivity on endpoint sample3 (eca0325d6796): "
    "Error starting userland proxy: listen tcp4 127.0.0.1:15999: bind: address already in use";

TEST_CASE("classify: statuses and engine texts to kinds") {
  CHECK(classify(404, "No such container: db") == ErrorKind::kNotFound);
  CHECK(classify(409, "Conflict. The container name \"/db\" is already in use") ==
        ErrorKind::kConflict);
  CHECK(classify(400, "invalid reference format") == ErrorKind::kBadRequest);
  CHECK(classify(500, kAllocated) == ErrorKind::kPortAllocated);
  CHECK(classify(500, kInUse) == ErrorKind::kPortAllocated);
  CHECK(classify(500, "OCI runtime create failed") == ErrorKind::kServer);
  CHECK(classify(503, "") == ErrorKind::kServer);
  CHECK(classify(403, "operation not permitted") == ErrorKind::kBadRequest);
  // A busy port is only a 500 phenomenon; the text in a 409 does not change its kind.
  CHECK(classify(409, kAllocated) == ErrorKind::kConflict);
}

TEST_CASE("port_from_message: both engine phrasings, IPv4 and IPv6") {
  CHECK(port_from_message(kAllocated) == "0.0.0.0:18080");
  CHECK(port_from_message(kInUse) == "127.0.0.1:15999");
  CHECK(port_from_message("Bind for 127.0.0.1:5432 failed: port is already allocated") ==
        "127.0.0.1:5432");
  CHECK(port_from_message("listen tcp 0.0.0.0:80: bind: address already in use") == "0.0.0.0:80");
  CHECK(port_from_message("Bind for [::1]:5432 failed: port is already allocated") == "[::1]:5432");
  CHECK(port_from_message("listen tcp6 [::]:8080: bind: address already in use") == "[::]:8080");
  CHECK(port_from_message("No such container: db").empty());
}

TEST_CASE("message_from_body: JSON message, else the trimmed text") {
  CHECK(message_from_body(R"({"message":"No such image: postgres:99"})") ==
        "No such image: postgres:99");
  CHECK(message_from_body("404 page not found\n") == "404 page not found");
  CHECK(message_from_body(R"({"other":1})") == R"({"other":1})");
  CHECK(message_from_body("").empty());
}

TEST_CASE("EngineError: only an unreachable engine exits 3") {
  CHECK(EngineError(ErrorKind::kUnreachable, 0, "x").code() == ExitCode::kUnreachable);
  CHECK(EngineError(ErrorKind::kTimeout, 0, "x").code() == ExitCode::kFailed);
  CHECK(EngineError(ErrorKind::kNotFound, 404, "x").code() == ExitCode::kFailed);
  CHECK(EngineError(ErrorKind::kNotFound, 404, "x").status() == 404);
}
