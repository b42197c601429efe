// Incremental decoders for the engine's streamed bodies. Both accept input split at
// any byte boundary (a frame header or a JSON line may span reads) and are pure:
// unit-tested and fuzzed without a socket.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace biodev::docker {

enum class StreamId : uint8_t { kStdin = 0, kStdout = 1, kStderr = 2 };
using FrameSink = std::function<void(StreamId stream, std::string_view payload)>;

// Container log / attach framing without a TTY: [stream, 0, 0, 0, size(be32)] payload.
class FrameDecoder {
 public:
  explicit FrameDecoder(FrameSink sink) : sink_(std::move(sink)) {}
  // Throws EngineError(kProtocol) on an impossible stream byte.
  void feed(std::string_view bytes);
  // True when no partial frame is buffered.
  bool idle() const { return buffer_.empty(); }

 private:
  FrameSink sink_;
  std::string buffer_;
};

// Log frames (split anywhere) as whole lines, per stream: a line waits for its newline,
// or for flush(), which hands over what is left of each stream without one.
class LineSplitter {
 public:
  using Sink = std::function<void(StreamId stream, const std::string& line)>;
  explicit LineSplitter(Sink sink) : sink_(std::move(sink)) {}
  void feed(StreamId stream, std::string_view data);
  void flush();

 private:
  Sink sink_;
  std::string out_, err_;
};

// Newline-delimited JSON (pull/build progress, events). Blank lines are skipped;
// a line that is not JSON throws EngineError(kProtocol).
class JsonLinesDecoder {
 public:
  using Sink = std::function<void(const nlohmann::json&)>;
  explicit JsonLinesDecoder(Sink sink) : sink_(std::move(sink)) {}
  void feed(std::string_view bytes);
  // Decodes a final line that had no trailing newline.
  void finish();

 private:
  Sink sink_;
  std::string buffer_;
};

// Sums pull progress over layers: "Downloading" current/total per layer id.
class PullProgress {
 public:
  void update(const nlohmann::json& event);
  long long current() const;
  long long total() const;
  int layers() const { return static_cast<int>(layers_.size()); }
  int layers_done() const;
  std::string last_status() const { return last_status_; }

 private:
  struct Layer {
    long long current = 0, total = 0;
    bool done = false;
  };
  std::vector<std::pair<std::string, Layer>> layers_;
  std::string last_status_;
};

}  // namespace biodev::docker
