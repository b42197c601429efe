// Inputs that once escaped the engine stream decoders with an unexpected exception or
// undefined behaviour, found by tests/fuzz/fuzz_jsonlines. The comment names the
// failure before the fix.
#include <doctest/doctest.h>

#include <string>

#include "docker/decoders.h"
#include "docker/errors.h"

using namespace biodev::docker;

namespace {

// The kind of EngineError decoding `input` throws; kServer when none is thrown.
ErrorKind decode_error(const std::string& input) {
  JsonLinesDecoder decoder([](const nlohmann::json&) {});
  try {
    decoder.feed(input);
    decoder.finish();
  } catch (const EngineError& e) {
    return e.kind();
  }
  return ErrorKind::kServer;
}

}  // namespace

TEST_CASE("JsonLinesDecoder: a number beyond a double is a protocol error") {
  // nlohmann throws out_of_range (not parse_error) for it, which escaped the decoder.
  CHECK(decode_error("{\"stream\":  -1e400}\n") == ErrorKind::kProtocol);
  CHECK(decode_error("1e400") == ErrorKind::kProtocol);
}

TEST_CASE("JsonLinesDecoder: a line with a NUL byte is a protocol error, not truncated") {
  // nlohmann stops at a NUL as at the end of input: "333\0{...}" decoded as 333.
  CHECK(decode_error(std::string("333\0{\"status\":\"x\"}\n", 19)) == ErrorKind::kProtocol);
  CHECK(decode_error(std::string("{\"a\":1}\0", 8)) == ErrorKind::kProtocol);
}

TEST_CASE("PullProgress: any JSON is accepted; fields of the wrong type are ignored") {
  // value() threw type_error for non-objects and for a "status" that is not a string,
  // and a huge or fractional "current" was converted to long long with undefined
  // behaviour.
  PullProgress p;
  auto ev = [&](const char* text) { CHECK_NOTHROW(p.update(nlohmann::json::parse(text))); };
  ev("[1, 2, 3]");
  ev("42");
  ev("\"Downloading\"");
  ev("null");
  ev(R"({"status": 5, "id": "a"})");
  ev(R"({"status": "Downloading", "id": 7, "progressDetail": {"current": 5}})");
  CHECK(p.layers() == 0);
  ev(R"({"status": "Downloading", "id": "a", "progressDetail": {"current": "5", "total": null}})");
  CHECK(p.layers() == 1);
  CHECK(p.current() == 0);
  ev(R"({"status": "Downloading", "id": "a", "progressDetail": {"current": 1.5e300, "total": -1}})");
  CHECK(p.current() == 1LL << 50);
  CHECK(p.total() == 0);
  ev(R"({"status": "Downloading", "id": "b", "progressDetail": {"current": 18446744073709551615, "total": 9223372036854775807}})");
  ev(R"({"status": "Downloading", "id": "c", "progressDetail": {"current": 1, "total": 9223372036854775807}})");
  CHECK(p.total() == 2 * (1LL << 50));  // capped per layer: the sum cannot overflow
  ev(R"({"status": "Pull complete", "id": "a"})");
  CHECK(p.layers_done() == 1);
  CHECK(p.last_status() == "a: Pull complete");
}
