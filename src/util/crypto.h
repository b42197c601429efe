// Hashes and MACs over OpenSSL, for config hashes, seed checksums and SigV4.
#pragma once

#include <string>
#include <string_view>

namespace biodev {

// Raw 32-byte digests.
std::string sha256(std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data);

// Lowercase hex digest.
std::string sha256_hex(std::string_view data);

// Raw digest of a file's bytes, read a megabyte at a time (a binary with debug info is
// hundreds of megabytes, which a mapping would make resident). Empty, with errno set,
// when the file cannot be read.
std::string sha256_file(const std::string& path);

}  // namespace biodev
