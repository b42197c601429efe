// S3 seeding: buckets created with SigV4-signed, path-style requests
// (http://host:port/bucket), so any S3-compatible server on loopback works (MinIO,
// s3rver, LocalStack...) without virtual-host DNS.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "profile/model.h"
#include "seed/common.h"
#include "seed/http.h"
#include "seed/seed.h"
#include "seed/sigv4.h"

namespace biodev::seed {

struct S3Target {
  std::string host = "127.0.0.1";
  int port = 0;
  sigv4::Credentials creds;  // service "s3"
  std::chrono::milliseconds timeout = std::chrono::seconds(10);
};

// One signed request. `key_path` is "/bucket" or "/bucket/key", not yet encoded;
// x-amz-date, x-amz-content-sha256, Host and Authorization are set here and override
// any in `headers`. Throws HttpError when the server cannot be reached.
HttpResponse s3_request(
    const S3Target& target, const std::string& method, const std::string& key_path,
    const std::string& body = "", const HttpHeaders& headers = {},
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());
// The same with a query string (`query`: names and values not yet encoded), signed.
HttpResponse s3_request(const S3Target& target, const std::string& method,
                        const std::string& key_path, const sigv4::Params& query,
                        const std::string& body, const HttpHeaders& headers = {});

// HEAD /bucket, then PUT /bucket on 404. 200 on HEAD, or 409 BucketAlreadyOwnedByYou on
// PUT (another seeder won the race), is kUnchanged. Throws SeedFailure naming the
// bucket: credentials refused (403), owned by someone else, or any other status.
// `progress` is called just before the PUT.
Outcome ensure_bucket(const S3Target& target, const std::string& bucket,
                      const Progress& progress = {});

// ensure_bucket for each bucket in order.
SeedSummary seed_s3(const S3Target& target, const std::vector<profile::Bucket>& buckets,
                    const Progress& progress);

// The <Code> and <Message> of an S3 XML error body, "Code: Message"; "" when absent.
std::string s3_error_text(const std::string& body);

}  // namespace biodev::seed
