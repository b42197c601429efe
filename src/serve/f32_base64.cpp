#include "serve/f32_base64.h"

#include <openssl/evp.h>

#include <bit>
#include <cstdint>
#include <stdexcept>

namespace biodev::serve {

std::string encode_f32le_base64(std::span<const float> values) {
  std::string raw;
  raw.reserve(values.size() * 4);
  for (float f : values) {
    auto bits = std::bit_cast<uint32_t>(f);
    for (int i = 0; i < 4; ++i) raw += static_cast<char>((bits >> (8 * i)) & 0xff);
  }
  std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(raw.data()),
                          static_cast<int>(raw.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::vector<float> decode_f32le_base64(std::string_view text, size_t count) {
  std::string raw(text.size() / 4 * 3 + 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(raw.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  // EVP_DecodeBlock counts padding bytes too, so only "too short" is detectable.
  if (n < 0 || static_cast<size_t>(n) < count * 4)
    throw std::runtime_error("base64 vector holds fewer than " + std::to_string(count) + " floats");
  std::vector<float> v(count);
  for (size_t i = 0; i < count; ++i) {
    uint32_t bits = 0;
    for (int b = 3; b >= 0; --b) bits = (bits << 8) | static_cast<unsigned char>(raw[4 * i + b]);
    v[i] = std::bit_cast<float>(bits);
  }
  return v;
}

}  // namespace biodev::serve
