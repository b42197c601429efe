// libFuzzer target: JsonLinesDecoder (pull/build progress, events) and PullProgress.
//
// Each input is decoded whole, in pieces split where split.h says, and byte by byte;
// all three must give the same events, the same outcome and the same progress sums.
// Every decoded event goes through PullProgress::update, which must accept any JSON.
// EngineError(kProtocol) is the expected rejection; anything else is a finding.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include "docker/decoders.h"
#include "docker/errors.h"
#include "split.h"

using namespace biodev::docker;

namespace {

struct Outcome {
  std::vector<nlohmann::json> events;
  bool rejected = false;
  long long current = 0, total = 0;
  int layers = 0, layers_done = 0;
  std::string last_status;
  bool operator==(const Outcome&) const = default;
};

Outcome decode(const std::vector<std::string_view>& pieces) {
  Outcome out;
  PullProgress progress;
  JsonLinesDecoder decoder([&](const nlohmann::json& event) {
    out.events.push_back(event);
    progress.update(event);
  });
  try {
    for (auto piece : pieces) decoder.feed(piece);
    decoder.finish();
  } catch (const EngineError& e) {
    biodev::fuzz::require_protocol_error(e);
    out.rejected = true;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "unexpected %s escaped: %s\n", typeid(e).name(), e.what());
    std::abort();
  }
  out.current = progress.current();
  out.total = progress.total();
  out.layers = progress.layers();
  out.layers_done = progress.layers_done();
  out.last_status = progress.last_status();
  return out;
}

void require_same(const Outcome& a, const Outcome& b, const char* how) {
  if (a == b) return;
  std::fprintf(stderr, "decoding %s differs from whole: events %zu vs %zu, rejected %d vs %d\n",
               how, b.events.size(), a.events.size(), b.rejected, a.rejected);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  biodev::fuzz::check_split_invariance(data, size, decode, require_same);
  return 0;
}
