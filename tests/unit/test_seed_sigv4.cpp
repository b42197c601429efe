// SigV4 against AWS's published vectors: the SigV4 test suite (credentials AKIDEXAMPLE,
// service "service", 2015-08-30T12:36:00Z), the documented signing-key derivation, and
// the S3 "Example: GET Object" request from the S3 API reference.
#include <doctest/doctest.h>

#include "seed/sigv4.h"
#include "util/crypto.h"
#include "util/strings.h"

using namespace biodev;
using namespace biodev::seed;

namespace {

const char* kEmptySha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

sigv4::Credentials suite_creds() {
  return {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1", "service"};
}

sigv4::Request suite_request(const std::string& method) {
  sigv4::Request r;
  r.method = method;
  r.path = "/";
  r.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
  r.payload_sha256 = kEmptySha;
  return r;
}

std::string suite_authz(const std::string& signed_headers, const std::string& sig) {
  return "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
         "SignedHeaders=" +
         signed_headers + ", Signature=" + sig;
}

}  // namespace

TEST_CASE("sigv4: get-vanilla, step by step") {
  auto req = suite_request("GET");
  std::string creq = sigv4::canonical_request(req);
  CHECK(creq ==
        "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
        "host;x-amz-date\n" +
            std::string(kEmptySha));
  std::string scope = sigv4::credential_scope("20150830", suite_creds());
  CHECK(scope == "20150830/us-east-1/service/aws4_request");
  CHECK(sigv4::string_to_sign("20150830T123600Z", scope, creq) ==
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
        "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  CHECK(sigv4::authorization(req, suite_creds(), "20150830T123600Z") ==
        suite_authz("host;x-amz-date",
                    "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"));
}

TEST_CASE("sigv4: get-vanilla-query-order-key-case sorts the query") {
  auto req = suite_request("GET");
  req.query = {{"Param2", "value2"}, {"Param1", "value1"}};
  CHECK(sigv4::canonical_query(req.query) == "Param1=value1&Param2=value2");
  CHECK(sigv4::signature(req, suite_creds(), "20150830T123600Z") ==
        "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

TEST_CASE("sigv4: post-vanilla") {
  CHECK(sigv4::signature(suite_request("POST"), suite_creds(), "20150830T123600Z") ==
        "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
}

TEST_CASE("sigv4: get-header-key-duplicate joins repeated headers in order") {
  auto req = suite_request("GET");
  req.headers = {{"Host", "example.amazonaws.com"},
                 {"My-Header1", "value2"},
                 {"My-Header1", "value2"},
                 {"My-Header1", "value1"},
                 {"X-Amz-Date", "20150830T123600Z"}};
  CHECK(sigv4::canonical_request(req).find("my-header1:value2,value2,value1\n") !=
        std::string::npos);
  CHECK(sigv4::authorization(req, suite_creds(), "20150830T123600Z") ==
        suite_authz("host;my-header1;x-amz-date",
                    "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"));
}

TEST_CASE("sigv4: get-header-value-trim trims and collapses spaces") {
  auto req = suite_request("GET");
  req.headers = {{"Host", "example.amazonaws.com"},
                 {"My-Header1", " value1"},
                 {"My-Header2", " \"a   b   c\""},
                 {"X-Amz-Date", "20150830T123600Z"}};
  std::string creq = sigv4::canonical_request(req);
  CHECK(creq.find("my-header1:value1\nmy-header2:\"a b c\"\n") != std::string::npos);
  CHECK(sha256_hex(creq) == "a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7");
}

TEST_CASE("sigv4: the documented signing-key derivation") {
  CHECK(hex(sigv4::signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1",
                               "iam")) ==
        "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST_CASE("sigv4: S3 'Example: GET Object'") {
  sigv4::Credentials creds{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                           "us-east-1", "s3"};
  sigv4::Request req;
  req.method = "GET";
  req.path = "/test.txt";
  req.payload_sha256 = kEmptySha;
  req.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
                 {"Range", "bytes=0-9"},
                 {"x-amz-content-sha256", kEmptySha},
                 {"x-amz-date", "20130524T000000Z"}};
  std::string creq = sigv4::canonical_request(req);
  CHECK(creq ==
        "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
        "x-amz-content-sha256:" +
            std::string(kEmptySha) + "\nx-amz-date:20130524T000000Z\n\n" +
            "host;range;x-amz-content-sha256;x-amz-date\n" + kEmptySha);
  CHECK(sha256_hex(creq) == "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  CHECK(sigv4::authorization(req, creds, "20130524T000000Z") ==
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST_CASE("sigv4: uri_encode keeps only unreserved characters") {
  CHECK(sigv4::uri_encode("AZaz09-_.~", true) == "AZaz09-_.~");
  CHECK(sigv4::uri_encode("/bucket/a b+c", false) == "/bucket/a%20b%2Bc");
  CHECK(sigv4::uri_encode("a/b", true) == "a%2Fb");
  CHECK(sigv4::uri_encode("\xe1\x88\xb4", false) == "%E1%88%B4");
  CHECK(sigv4::uri_encode("=&*", true) == "%3D%26%2A");
}

TEST_CASE("sigv4: query values are encoded, empty values kept") {
  CHECK(sigv4::canonical_query({{"list-type", "2"}, {"prefix", "a b"}, {"acl", ""}}) ==
        "acl=&list-type=2&prefix=a%20b");
}

TEST_CASE("sigv4: amz_date is UTC") {
  auto t = std::chrono::system_clock::from_time_t(1440938160);  // 2015-08-30T12:36:00Z
  CHECK(sigv4::amz_date(t) == "20150830T123600Z");
}
