// S3 bucket seeding against an in-test S3 server that checks every SigV4 signature the
// way a real one does (recomputing it from the request as received).
#include <doctest/doctest.h>

#include <set>

#include "seed/s3.h"
#include "test_seed_server.h"
#include "util/crypto.h"
#include "util/error.h"
#include "util/strings.h"

using namespace biodev;
using namespace biodev::seed;
using biodev::seed::testing::FakeServer;
using biodev::seed::testing::reply;
using biodev::seed::testing::SeenRequest;

namespace {

const char* kSecret = "s3cr3t-key-for-tests";

std::string xml_error(const std::string& code) {
  return "<?xml version=\"1.0\"?><Error><Code>" + code + "</Code><Message>m " + code +
         "</Message></Error>";
}

// "Credential=AK/20240101/us-east-1/s3/aws4_request, SignedHeaders=a;b, Signature=x".
std::string auth_field(const std::string& auth, const std::string& name) {
  size_t at = auth.find(name + "=");
  if (at == std::string::npos) return {};
  at += name.size() + 1;
  return auth.substr(at, auth.find(',', at) - at);
}

// True when the request carries a valid signature for kSecret.
bool signature_ok(const SeenRequest& r) {
  std::string auth = r.header("authorization");
  auto scope = split(auth_field(auth, "Credential"), '/');
  if (scope.size() != 5 || r.header("x-amz-content-sha256") != sha256_hex(r.body)) return false;
  sigv4::Request sr;
  sr.method = r.method;
  sr.path = r.target.substr(0, r.target.find('?'));
  for (const auto& name : split(auth_field(auth, "SignedHeaders"), ';'))
    sr.headers.emplace_back(name, r.header(name));
  sr.payload_sha256 = r.header("x-amz-content-sha256");
  sigv4::Credentials creds{scope[0], kSecret, scope[2], scope[3]};
  return auth_field(auth, "Signature") == sigv4::signature(sr, creds, r.header("x-amz-date"));
}

// Buckets in memory, path-style, SigV4 checked.
struct FakeS3 {
  std::set<std::string> buckets;
  std::string put_override;  // raw reply to every PUT, when set
  FakeServer server{[this](const SeenRequest& r) { return handle(r); }};

  std::string handle(const SeenRequest& r) {
    if (!signature_ok(r)) return reply(403, xml_error("SignatureDoesNotMatch"), "application/xml");
    std::string bucket = r.target.substr(1);
    if (r.method == "HEAD") return reply(buckets.count(bucket) ? 200 : 404);
    if (r.method == "PUT") {
      if (!put_override.empty()) return put_override;
      buckets.insert(bucket);
      return reply(200);
    }
    return reply(405);
  }

  S3Target target(const std::string& secret = kSecret) const {
    S3Target t;
    t.port = server.port();
    t.creds = {"AKTEST", secret, "us-east-1", "s3"};
    t.timeout = std::chrono::seconds(5);
    return t;
  }
};

std::vector<std::string> calls(FakeServer& s) {
  std::vector<std::string> out;
  for (const auto& r : s.requests()) out.push_back(r.method + " " + r.target);
  return out;
}

}  // namespace

TEST_CASE("s3: missing buckets are created, existing ones left alone") {
  FakeS3 s3;
  s3.buckets = {"raw-data"};
  std::vector<std::string> progress;
  auto summary = seed_s3(s3.target(), {{"raw-data"}, {"models"}},
                         [&](const std::string& d) { progress.push_back(d); });
  CHECK(summary.applied == 1);
  CHECK(summary.unchanged == 1);
  CHECK(s3.buckets.count("models"));
  CHECK(progress == std::vector<std::string>{"bucket models"});
  CHECK(calls(s3.server) ==
        std::vector<std::string>{"HEAD /raw-data", "HEAD /models", "PUT /models"});

  // Idempotent: a second run only looks.
  auto again = seed_s3(s3.target(), {{"raw-data"}, {"models"}}, {});
  CHECK(again.applied == 0);
  CHECK(again.unchanged == 2);
  CHECK(calls(s3.server).size() == 5);
}

TEST_CASE("s3: requests are signed path-style with the payload hash") {
  FakeS3 s3;
  seed_s3(s3.target(), {{"b1"}}, {});
  auto seen = s3.server.requests();
  REQUIRE(seen.size() == 2);
  const auto& put = seen[1];
  CHECK(put.header("host") == "127.0.0.1:" + std::to_string(s3.server.port()));
  CHECK(put.header("x-amz-content-sha256") == sha256_hex(""));
  CHECK(put.header("x-amz-date").size() == 16);
  CHECK(starts_with(put.header("authorization"), "AWS4-HMAC-SHA256 Credential=AKTEST/"));
  CHECK(put.header("authorization").find("/us-east-1/s3/aws4_request") != std::string::npos);
  CHECK(put.header("authorization").find("SignedHeaders=host;x-amz-content-sha256;x-amz-date") !=
        std::string::npos);
}

TEST_CASE("s3: outside us-east-1 the PUT names the region") {
  FakeS3 s3;
  S3Target t = s3.target();
  t.creds.region = "eu-west-1";
  CHECK(ensure_bucket(t, "eu") == Outcome::kCreated);
  auto put = s3.server.requests().back();
  CHECK(put.body.find("<LocationConstraint>eu-west-1</LocationConstraint>") != std::string::npos);
  CHECK(put.header("x-amz-content-sha256") == sha256_hex(put.body));
}

TEST_CASE("s3: refused credentials say so, without the secret") {
  FakeS3 s3;
  try {
    seed_s3(s3.target("wrong-secret-value"), {{"b"}}, {});
    FAIL("expected SeedFailure");
  } catch (const SeedFailure& e) {
    std::string what = e.what();
    CHECK(what.find("bucket b") != std::string::npos);
    CHECK(what.find("refused the credentials") != std::string::npos);
    CHECK(what.find("wrong-secret-value") == std::string::npos);
    CHECK(what.find(kSecret) == std::string::npos);
  }
}

TEST_CASE("s3: a PUT that loses a race to ourselves is unchanged") {
  FakeS3 s3;
  s3.put_override = reply(409, xml_error("BucketAlreadyOwnedByYou"), "application/xml");
  CHECK(ensure_bucket(s3.target(), "b") == Outcome::kUnchanged);
}

TEST_CASE("s3: other PUT failures name the bucket and the server's error") {
  FakeS3 s3;
  s3.put_override = reply(409, xml_error("BucketAlreadyExists"), "application/xml");
  CHECK_THROWS_WITH_AS(ensure_bucket(s3.target(), "taken"),
                       doctest::Contains("bucket taken: the name is taken"), SeedFailure);
  s3.put_override = reply(500, xml_error("InternalError"), "application/xml");
  CHECK_THROWS_WITH_AS(ensure_bucket(s3.target(), "b"),
                       doctest::Contains("HTTP 500 (InternalError: m InternalError)"), SeedFailure);
  s3.put_override = reply(400, xml_error("InvalidBucketName"), "application/xml");
  CHECK_THROWS_WITH_AS(ensure_bucket(s3.target(), "Bad_Name"), doctest::Contains("bucket Bad_Name"),
                       SeedFailure);
}

TEST_CASE("s3: an unreachable server names the bucket") {
  FakeS3 s3;
  S3Target t = s3.target();
  t.port = 1;  // nothing listens on port 1 here
  CHECK_THROWS_WITH_AS(seed_s3(t, {{"b"}}, {}), doctest::Contains("bucket b: HEAD"), SeedFailure);
}

TEST_CASE("s3: error bodies") {
  CHECK(s3_error_text(xml_error("NoSuchBucket")) == "NoSuchBucket: m NoSuchBucket");
  CHECK(s3_error_text("<Error><Code>X</Code></Error>") == "X");
  CHECK(s3_error_text("not xml").empty());
}
