// SHA-256 uses OpenSSL's direct functions, which OpenSSL 3 marks deprecated in favour
// of EVP. EVP's first digest loads the default provider and builds its method store:
// about 1.5 ms and 1.9 MiB of resident libcrypto, paid by every command that hashes its
// profile (`up`, `status`, `health`); the direct functions cost neither. HMAC (SigV4,
// only when seeding S3) stays on EVP.
#define OPENSSL_SUPPRESS_DEPRECATED

#include "util/crypto.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "util/strings.h"
#include "util/unique_fd.h"

namespace biodev {

std::string sha256(std::string_view data) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, data.data(), data.size());
  SHA256_Final(out, &ctx);
  return std::string(reinterpret_cast<char*>(out), sizeof out);
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string sha256_hex(std::string_view data) { return hex(sha256(data)); }

std::string sha256_file(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return "";
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  std::vector<char> buf(1 << 20);
  ssize_t n;
  while ((n = read(fd.get(), buf.data(), buf.size())) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return "";
    SHA256_Update(&ctx, buf.data(), static_cast<size_t>(n));
  }
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256_Final(out, &ctx);
  return std::string(reinterpret_cast<char*>(out), sizeof out);
}

}  // namespace biodev
