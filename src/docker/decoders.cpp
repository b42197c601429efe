#include "docker/decoders.h"

#include <fmt/format.h>

#include <algorithm>

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

void decode_line(const std::string& line, const JsonLinesDecoder::Sink& sink) {
  std::string text = trim(line);  // the engine ends lines with "\r\n" in some streams
  if (text.empty()) return;
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error&) {
    std::string shown = text.size() > 200 ? text.substr(0, 200) + "..." : text;
    throw EngineError(ErrorKind::kProtocol, 0,
                      fmt::format("malformed JSON line from the Docker engine: {}", shown));
  }
  sink(doc);
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
  std::string status = event.value("status", "");
  std::string id = event.value("id", "");
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
      layer.current = detail->value("current", 0LL);
      layer.total = detail->value("total", layer.total);
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

}  // namespace biodev::docker
