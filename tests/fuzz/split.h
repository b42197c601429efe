// Splits a fuzz input into the pieces a socket might deliver, at positions derived from
// the input itself, so the fuzzer explores split points along with the bytes.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "docker/errors.h"

namespace biodev::fuzz {

// Byte 0 is the split control; the rest is the stream. Piece lengths come from a small
// generator seeded by the control byte and bounded by 1 + (control & 31), and include
// zero-length pieces (a read that returned nothing must be harmless).
struct SplitInput {
  std::string_view stream;
  std::vector<std::string_view> pieces;
};

inline SplitInput split_input(const uint8_t* data, size_t size) {
  SplitInput out;
  if (size == 0) return out;
  uint8_t control = data[0];
  out.stream = std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1);
  uint32_t state = control * 2654435761u + 1;
  size_t max_piece = 1 + (control & 31u);
  for (size_t pos = 0; pos < out.stream.size();) {
    state = state * 1664525u + 1013904223u;
    size_t n = (state >> 16) % (max_piece + 1);  // 0..max_piece
    n = std::min(n, out.stream.size() - pos);
    out.pieces.push_back(out.stream.substr(pos, n));
    pos += n;
  }
  return out;
}

// A decoder may reject a stream only as a protocol error; any other kind is a bug.
inline void require_protocol_error(const biodev::docker::EngineError& e) {
  if (e.kind() == biodev::docker::ErrorKind::kProtocol) return;
  std::fprintf(stderr, "EngineError of kind %d, expected kProtocol\n", static_cast<int>(e.kind()));
  std::abort();
}

// The property both stream decoders must have: a stream decodes the same whole, in the
// pieces split_input makes, and one byte at a time. `decode` takes the pieces;
// `require_same(whole, other, how)` aborts on a difference.
template <class Decode, class RequireSame>
void check_split_invariance(const uint8_t* data, size_t size, Decode decode, RequireSame require_same) {
  SplitInput in = split_input(data, size);
  auto whole = decode(std::vector<std::string_view>{in.stream});
  require_same(whole, decode(in.pieces), "split");
  std::vector<std::string_view> bytes;
  for (size_t i = 0; i < in.stream.size(); ++i) bytes.push_back(in.stream.substr(i, 1));
  require_same(whole, decode(bytes), "byte by byte");
}

}  // namespace biodev::fuzz
