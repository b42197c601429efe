// AWS Signature Version 4 (header form), as S3-compatible servers check it.
//
// Pure functions over their inputs: no clock and no I/O, so every step is tested against
// AWS's published vectors. The request path is the canonical URI as S3 defines it:
// percent-encoded once, exactly as sent, with no "." or ".." normalization.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace biodev::seed::sigv4 {

using Params = std::vector<std::pair<std::string, std::string>>;

struct Credentials {
  std::string access_key;
  std::string secret_key;
  std::string region = "us-east-1";
  std::string service = "s3";
};

struct Request {
  std::string method = "GET";
  std::string path = "/";  // percent-encoded once ("/bucket/a%20b.txt")
  Params query;            // names and values not yet encoded
  // Every header here is signed; "host" must be among them. Names in any case.
  Params headers;
  std::string payload_sha256;  // lowercase hex of the body (or "UNSIGNED-PAYLOAD")
};

// RFC 3986 encoding as SigV4 wants it: unreserved characters (A-Z a-z 0-9 - _ . ~) kept,
// everything else %XX in upper case; '/' kept unless `encode_slash`.
std::string uri_encode(std::string_view s, bool encode_slash);

// "a=1&b=2": names and values encoded, sorted by name then value. Also the query string
// to send, so the server sees what was signed.
std::string canonical_query(const Params& query);

// "host;x-amz-date": lowercase names, sorted, each once.
std::string signed_headers(const Params& headers);

// The six lines of the canonical request (method, URI, query, headers, signed headers,
// payload hash). Header values are trimmed and inner runs of spaces collapsed; repeated
// names are joined with ','.
std::string canonical_request(const Request& request);

// "20150830/us-east-1/service/aws4_request"; `date` is YYYYMMDD.
std::string credential_scope(std::string_view date, const Credentials& creds);

// "AWS4-HMAC-SHA256\n<amz_date>\n<scope>\n<hex sha256 of canonical request>".
std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request);

// The derived key (32 raw bytes): HMAC chain of "AWS4"+secret over date, region, service
// and "aws4_request".
std::string signing_key(std::string_view secret_key, std::string_view date, std::string_view region,
                        std::string_view service);

// Lowercase hex signature of `request` at `amz_date` (YYYYMMDDTHHMMSSZ).
std::string signature(const Request& request, const Credentials& creds, std::string_view amz_date);

// "AWS4-HMAC-SHA256 Credential=<key>/<scope>, SignedHeaders=<list>, Signature=<hex>".
std::string authorization(const Request& request, const Credentials& creds,
                          std::string_view amz_date);

// "20150830T123600Z" (UTC) for a point in time.
std::string amz_date(std::chrono::system_clock::time_point t);

}  // namespace biodev::seed::sigv4
