#include "docker/decoders.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "docker/errors.h"
#include "util/strings.h"

namespace biodev::docker {

namespace {

constexpr size_t kFrameHeader = 8;

size_t frame_size(std::string_view header) {
  auto byte = [&](size_t i) { return static_cast<size_t>(static_cast<uint8_t>(header[i])); };
  return (byte(4) << 24) | (byte(5) << 16) | (byte(6) << 8) | byte(7);
}

StreamId frame_stream(std::string_view header) {
  auto id = static_cast<uint8_t>(header[0]);
  if (id > 2) {
    throw EngineError(ErrorKind::kProtocol, 0,
                      fmt::format("malformed log stream from the Docker engine: stream byte {} "
                                  "(is the container running with a TTY?)",
                                  id));
  }
  return static_cast<StreamId>(id);
}

[[noreturn]] void malformed_line(const std::string& text) {
  std::string shown = text.size() > 200 ? text.substr(0, 200) + "..." : text;
  throw EngineError(ErrorKind::kProtocol, 0,
                    fmt::format("malformed JSON line from the Docker engine: {}", shown));
}

void decode_line(const std::string& line, const JsonLinesDecoder::Sink& sink) {
  std::string text = trim(line);  // the engine ends lines with "\r\n" in some streams
  if (text.empty()) return;
  // nlohmann's lexer takes a NUL byte for the end of input, so "1\0garbage" would parse
  // as 1. JSON text never holds a raw NUL: the line is malformed.
  if (text.find('\0') != std::string::npos) malformed_line(text);
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception&) {
    // parse_error, and out_of_range for numbers beyond a double ("1e400").
    malformed_line(text);
  }
  sink(doc);
}

// Event fields read leniently: a field of another type than expected counts as absent,
// since progress display must never fail a pull.
std::string string_field(const nlohmann::json& event, const char* key) {
  auto it = event.find(key);
  return it != event.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// A byte count: a non-negative number, capped so that sums over layers (thousands of
// them) cannot overflow.
std::optional<long long> byte_count(const nlohmann::json& detail, const char* key) {
  constexpr long long kMax = 1LL << 50;  // 1 PiB per layer
  auto it = detail.find(key);
  if (it == detail.end() || !it->is_number()) return std::nullopt;
  if (it->is_number_unsigned())
    return static_cast<long long>(
        std::min<unsigned long long>(it->get<unsigned long long>(), kMax));
  if (it->is_number_integer()) return std::clamp<long long>(it->get<long long>(), 0, kMax);
  double v = it->get<double>();  // no NaN or infinity: the parser rejects them
  return static_cast<long long>(std::clamp<double>(v, 0, static_cast<double>(kMax)));
}

}  // namespace

void FrameDecoder::feed(std::string_view bytes) {
  // Complete a frame left over from the previous read first, copying only as many bytes
  // as it needs; whole frames in `bytes` are then delivered without copying.
  while (!buffer_.empty() && !bytes.empty()) {
    size_t want = kFrameHeader;
    if (buffer_.size() >= kFrameHeader) {
      want += frame_size(buffer_);
    }
    size_t take = std::min(want - buffer_.size(), bytes.size());
    buffer_.append(bytes.substr(0, take));
    bytes.remove_prefix(take);
    if (buffer_.size() == kFrameHeader) {
      frame_stream(buffer_);  // reject a bad header as soon as it is whole
      if (frame_size(buffer_) > 0) continue;
    }
    if (buffer_.size() >= kFrameHeader && buffer_.size() == kFrameHeader + frame_size(buffer_)) {
      StreamId id = frame_stream(buffer_);
      std::string frame = std::move(buffer_);
      buffer_.clear();
      if (frame.size() > kFrameHeader) sink_(id, std::string_view(frame).substr(kFrameHeader));
    }
  }
  while (bytes.size() >= kFrameHeader) {
    StreamId id = frame_stream(bytes);
    size_t size = frame_size(bytes);
    if (bytes.size() < kFrameHeader + size) break;
    if (size > 0) sink_(id, bytes.substr(kFrameHeader, size));
    bytes.remove_prefix(kFrameHeader + size);
  }
  buffer_.append(bytes);
}

void JsonLinesDecoder::feed(std::string_view bytes) {
  size_t nl;
  while ((nl = bytes.find('\n')) != std::string_view::npos) {
    buffer_.append(bytes.substr(0, nl));
    bytes.remove_prefix(nl + 1);
    std::string line;
    line.swap(buffer_);
    decode_line(line, sink_);
  }
  buffer_.append(bytes);
}

void JsonLinesDecoder::finish() {
  std::string line;
  line.swap(buffer_);
  decode_line(line, sink_);
}

void PullProgress::update(const nlohmann::json& event) {
  if (!event.is_object()) return;
  std::string status = string_field(event, "status");
  std::string id = string_field(event, "id");
  if (!status.empty()) last_status_ = id.empty() ? status : fmt::format("{}: {}", id, status);

  // Only layer events carry a layer id; "Pulling from library/x" carries the tag instead.
  static const char* const kLayerStatuses[] = {
      "Pulling fs layer",  "Waiting",    "Downloading",   "Verifying Checksum",
      "Download complete", "Extracting", "Pull complete", "Already exists"};
  bool layer_event = false;
  for (const char* s : kLayerStatuses) layer_event = layer_event || status == s;
  if (id.empty() || !layer_event) return;

  auto it = std::find_if(layers_.begin(), layers_.end(),
                         [&](const auto& entry) { return entry.first == id; });
  if (it == layers_.end()) it = layers_.insert(layers_.end(), {id, Layer{}});
  Layer& layer = it->second;

  if (status == "Downloading" || status == "Extracting") {
    auto detail = event.find("progressDetail");
    if (detail != event.end() && detail->is_object()) {
      layer.current = byte_count(*detail, "current").value_or(0);
      layer.total = byte_count(*detail, "total").value_or(layer.total);
    }
  } else if (status == "Pull complete" || status == "Already exists" ||
             status == "Download complete") {
    layer.done = true;
  }
}

long long PullProgress::current() const {
  long long sum = 0;
  for (const auto& [id, layer] : layers_) sum += layer.done ? layer.total : layer.current;
  return sum;
}

long long PullProgress::total() const {
  long long sum = 0;
  for (const auto& [id, layer] : layers_) sum += layer.total;
  return sum;
}

int PullProgress::layers_done() const {
  int n = 0;
  for (const auto& [id, layer] : layers_) n += layer.done ? 1 : 0;
  return n;
}

void LineSplitter::feed(StreamId stream, std::string_view data) {
  std::string& buf = stream == StreamId::kStderr ? err_ : out_;
  buf.append(data);
  size_t start = 0, nl;
  while ((nl = buf.find('\n', start)) != std::string::npos) {
    sink_(stream, buf.substr(start, nl - start));
    start = nl + 1;
  }
  buf.erase(0, start);
}

void LineSplitter::flush() {
  if (!out_.empty()) sink_(StreamId::kStdout, std::exchange(out_, {}));
  if (!err_.empty()) sink_(StreamId::kStderr, std::exchange(err_, {}));
}

}  // namespace biodev::docker
