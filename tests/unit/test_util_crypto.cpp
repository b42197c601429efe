// SHA-256 and HMAC-SHA256 against published test vectors (FIPS 180-2, RFC 4231).
#include <doctest/doctest.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "util/crypto.h"
#include "util/strings.h"

using namespace biodev;

TEST_CASE("sha256_hex matches the FIPS 180-2 vectors") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(sha256_hex(std::string(1000000, 'a')) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  CHECK(sha256(std::string_view("\0abc", 4)).size() == 32);
}

TEST_CASE("hmac_sha256 matches RFC 4231 test case 2") {
  CHECK(hex(hmac_sha256("Jefe", "what do ya want for nothing?")) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("sha256_file reads the file in pieces and agrees with sha256") {
  std::string path = std::string(BIODEV_SOURCE_DIR) + "/CMakeLists.txt";
  std::ifstream in(path, std::ios::binary);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(!content.empty());
  CHECK(sha256_file(path) == sha256(content));

  // Larger than one read: three megabytes and a bit.
  std::string big(3 * (1 << 20) + 123, 'x');
  for (size_t i = 0; i < big.size(); i += 4099) big[i] = static_cast<char>(i);
  std::string tmp = std::string(std::filesystem::temp_directory_path() / "biodev-sha256-test");
  std::ofstream(tmp, std::ios::binary) << big;
  CHECK(sha256_file(tmp) == sha256(big));
  std::filesystem::remove(tmp);

  errno = 0;
  CHECK(sha256_file("/nonexistent/biodev") == "");
  CHECK(errno == ENOENT);
}
