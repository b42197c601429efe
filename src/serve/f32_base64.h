// Vectors as base64 of little-endian float32, the encoding OpenAI's
// `encoding_format: "base64"` returns and the Qdrant stand-in's state file uses.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace biodev::serve {

std::string encode_f32le_base64(std::span<const float> values);

// Decodes exactly `count` values; throws std::runtime_error when the text holds fewer.
std::vector<float> decode_f32le_base64(std::string_view text, size_t count);

}  // namespace biodev::serve
