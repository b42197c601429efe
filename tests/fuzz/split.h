// Splits a fuzz input into the pieces a socket might deliver, at positions derived from
// the input itself, so the fuzzer explores split points along with the bytes.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

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

}  // namespace biodev::fuzz
