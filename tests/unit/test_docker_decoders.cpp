#include <doctest/doctest.h>

#include <random>
#include <string>
#include <utility>
#include <vector>

#include "docker/decoders.h"
#include "docker/errors.h"

using namespace biodev::docker;

namespace {

using Frames = std::vector<std::pair<int, std::string>>;

std::string frame(uint8_t stream, const std::string& payload) {
  std::string out{static_cast<char>(stream), 0, 0, 0};
  auto size = static_cast<uint32_t>(payload.size());
  for (int shift : {24, 16, 8, 0}) out += static_cast<char>((size >> shift) & 0xFF);
  return out + payload;
}

// Splits `input` at random points (fixed seed: the same splits on every run).
std::vector<std::string> random_pieces(const std::string& input, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<size_t> len(1, 13);
  std::vector<std::string> out;
  for (size_t pos = 0; pos < input.size();) {
    size_t n = std::min(len(rng), input.size() - pos);
    out.push_back(input.substr(pos, n));
    pos += n;
  }
  return out;
}

std::vector<std::string> byte_pieces(const std::string& input) {
  std::vector<std::string> out;
  for (char c : input) out.emplace_back(1, c);
  return out;
}

Frames decode_frames(const std::vector<std::string>& pieces) {
  Frames out;
  FrameDecoder decoder([&](StreamId s, std::string_view p) {
    out.emplace_back(static_cast<int>(s), std::string(p));
  });
  for (const auto& piece : pieces) decoder.feed(piece);
  CHECK(decoder.idle());
  return out;
}

std::vector<std::string> decode_lines(const std::vector<std::string>& pieces) {
  std::vector<std::string> out;
  JsonLinesDecoder decoder([&](const nlohmann::json& j) { out.push_back(j.dump()); });
  for (const auto& piece : pieces) decoder.feed(piece);
  decoder.finish();
  return out;
}

}  // namespace

TEST_CASE("FrameDecoder: whole, byte-by-byte and random splits give the golden frames") {
  const std::string big(70000, 'x');  // larger than a socket read: spans many feeds
  const std::string input = frame(1, "hello\n") + frame(2, "oops: ünïcødé ✓\n") +
                            frame(1, "") +  // empty frames carry nothing and are skipped
                            frame(1, big) + frame(0, "in") + frame(2, "last");
  const Frames golden = {
      {1, "hello\n"}, {2, "oops: ünïcødé ✓\n"}, {1, big}, {0, "in"}, {2, "last"}};

  CHECK(decode_frames({input}) == golden);
  CHECK(decode_frames(byte_pieces(input)) == golden);
  for (unsigned seed : {1u, 7u, 42u, 1234u}) {
    CAPTURE(seed);
    CHECK(decode_frames(random_pieces(input, seed)) == golden);
  }
}

TEST_CASE("FrameDecoder: idle only between frames") {
  Frames out;
  FrameDecoder decoder([&](StreamId s, std::string_view p) {
    out.emplace_back(static_cast<int>(s), std::string(p));
  });
  std::string f = frame(2, "abc");
  decoder.feed(f.substr(0, 3));
  CHECK_FALSE(decoder.idle());
  decoder.feed(f.substr(3, 6));  // header complete, payload not
  CHECK_FALSE(decoder.idle());
  CHECK(out.empty());
  decoder.feed(f.substr(9));
  CHECK(decoder.idle());
  CHECK(out == Frames{{2, "abc"}});
}

TEST_CASE("FrameDecoder: a stream byte above 2 is a protocol error, however it is split") {
  // What a TTY container's raw output looks like when mistaken for frames.
  const std::string input = frame(1, "ok") + "root@host:/# ls\n";
  auto decode = [&](const std::vector<std::string>& pieces) {
    try {
      decode_frames(pieces);
    } catch (const EngineError& e) {
      return e.kind();
    }
    return ErrorKind::kServer;  // not thrown
  };
  CHECK(decode({input}) == ErrorKind::kProtocol);
  CHECK(decode(byte_pieces(input)) == ErrorKind::kProtocol);
  CHECK(decode(random_pieces(input, 42)) == ErrorKind::kProtocol);
}

TEST_CASE("JsonLinesDecoder: CRLF, blank lines, split UTF-8 and a final unterminated line") {
  const std::string input =
      "{\"status\":\"Pulling from library/postgres\",\"id\":\"16\"}\r\n"
      "\r\n"
      "{\"stream\":\"Step 1/2 : FROM scratch\\n\"}\n"
      "\n"
      "{\"stream\":\"é → ✓ 日本\"}\r\n"
      "{\"aux\":{\"ID\":\"sha256:abc\"}}";
  const std::vector<std::string> golden = {
      R"({"id":"16","status":"Pulling from library/postgres"})",
      R"({"stream":"Step 1/2 : FROM scratch\n"})",
      "{\"stream\":\"é → ✓ 日本\"}",
      R"({"aux":{"ID":"sha256:abc"}})",
  };
  CHECK(decode_lines({input}) == golden);
  CHECK(decode_lines(byte_pieces(input)) == golden);
  for (unsigned seed : {3u, 42u, 99u}) {
    CAPTURE(seed);
    CHECK(decode_lines(random_pieces(input, seed)) == golden);
  }
}

TEST_CASE("JsonLinesDecoder: a line that is not JSON throws kProtocol") {
  JsonLinesDecoder decoder([](const nlohmann::json&) {});
  try {
    decoder.feed("{\"ok\":1}\n<html>502 Bad Gateway</html>\n");
    FAIL("no exception");
  } catch (const EngineError& e) {
    CHECK(e.kind() == ErrorKind::kProtocol);
    CHECK(std::string(e.what()).find("<html>502 Bad Gateway</html>") != std::string::npos);
  }
}

TEST_CASE("PullProgress: sums layers and counts finished ones") {
  PullProgress p;
  auto ev = [&](const char* text) { p.update(nlohmann::json::parse(text)); };
  ev(R"({"status":"Pulling from library/postgres","id":"16"})");
  ev(R"({"status":"Pulling fs layer","progressDetail":{},"id":"a1"})");
  ev(R"({"status":"Pulling fs layer","progressDetail":{},"id":"b2"})");
  ev(R"({"status":"Waiting","progressDetail":{},"id":"c3"})");
  CHECK(p.layers() == 3);  // the "16" tag line is not a layer
  ev(R"({"status":"Downloading","progressDetail":{"current":100,"total":1000},"id":"a1"})");
  ev(R"({"status":"Downloading","progressDetail":{"current":50,"total":200},"id":"b2"})");
  ev(R"({"status":"Downloading","progressDetail":{"current":500,"total":1000},"id":"a1"})");
  CHECK(p.current() == 550);
  CHECK(p.total() == 1200);
  CHECK(p.layers_done() == 0);
  ev(R"({"status":"Download complete","progressDetail":{},"id":"b2"})");
  CHECK(p.layers_done() == 1);
  CHECK(p.current() == 700);  // a finished layer counts in full
  ev(R"({"status":"Already exists","progressDetail":{},"id":"c3"})");
  ev(R"({"status":"Extracting","progressDetail":{"current":300,"total":1000},"id":"a1"})");
  CHECK(p.current() == 500);
  ev(R"({"status":"Pull complete","progressDetail":{},"id":"a1"})");
  CHECK(p.layers() == 3);
  CHECK(p.layers_done() == 3);
  CHECK(p.current() == p.total());
  ev(R"({"status":"Digest: sha256:0123"})");
  ev(R"({"status":"Status: Downloaded newer image for postgres:16"})");
  CHECK(p.layers() == 3);
  CHECK(p.last_status() == "Status: Downloaded newer image for postgres:16");
}

TEST_CASE("LineSplitter: lines split anywhere come whole, per stream; flush hands over the rest") {
  std::vector<std::string> got;
  LineSplitter lines([&](StreamId s, const std::string& line) {
    got.push_back((s == StreamId::kStderr ? "err:" : "out:") + line);
  });
  lines.feed(StreamId::kStdout, "a\nb");
  lines.feed(StreamId::kStderr, "x");
  lines.feed(StreamId::kStdout, "c\n\nd");
  lines.feed(StreamId::kStderr, "y\n");
  CHECK(got == std::vector<std::string>{"out:a", "out:bc", "out:", "err:xy"});
  lines.flush();
  CHECK(got.back() == "out:d");
  lines.flush();  // nothing left: nothing more
  CHECK(got.size() == 5);
}
