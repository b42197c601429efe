// libFuzzer target: FrameDecoder (multiplexed container log frames).
//
// Each input is decoded three ways: whole, in pieces split where split.h says, and byte
// by byte. All three must give the same frames, the same outcome (EngineError or not)
// and the same idle state: the decoder's contract is that splitting never matters.
// EngineError(kProtocol) is the expected rejection; anything else is a finding.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "docker/decoders.h"
#include "docker/errors.h"
#include "split.h"

using namespace biodev::docker;

namespace {

struct Outcome {
  std::vector<std::pair<int, std::string>> frames;
  bool rejected = false;
  bool idle = true;
  bool operator==(const Outcome&) const = default;
};

Outcome decode(const std::vector<std::string_view>& pieces) {
  Outcome out;
  FrameDecoder decoder([&](StreamId stream, std::string_view payload) {
    if (payload.empty()) {
      std::fprintf(stderr, "empty frame delivered\n");
      std::abort();
    }
    out.frames.emplace_back(static_cast<int>(stream), std::string(payload));
  });
  try {
    for (auto piece : pieces) decoder.feed(piece);
    out.idle = decoder.idle();
  } catch (const EngineError& e) {
    biodev::fuzz::require_protocol_error(e);
    out.rejected = true;
    out.idle = false;
  }
  return out;
}

void require_same(const Outcome& a, const Outcome& b, const char* how) {
  if (a == b) return;
  std::fprintf(stderr,
               "decoding %s differs from whole: frames %zu vs %zu, rejected %d vs %d, "
               "idle %d vs %d\n",
               how, b.frames.size(), a.frames.size(), b.rejected, a.rejected, b.idle, a.idle);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  biodev::fuzz::check_split_invariance(data, size, decode, require_same);
  return 0;
}
