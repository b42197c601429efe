#include "seed/s3.h"

#include "util/crypto.h"
#include "util/strings.h"

namespace biodev::seed {
namespace {

std::string xml_element(const std::string& body, const std::string& tag) {
  size_t open = body.find("<" + tag + ">");
  if (open == std::string::npos) return {};
  open += tag.size() + 2;
  size_t close = body.find("</" + tag + ">", open);
  return close == std::string::npos ? std::string() : body.substr(open, close - open);
}

std::string host_header(const S3Target& t) {
  bool v6 = t.host.find(':') != std::string::npos;
  return (v6 ? "[" + t.host + "]" : t.host) + ":" + std::to_string(t.port);
}

// AWS rejects an empty CreateBucket body outside us-east-1; S3-compatible servers accept
// the constraint when it names their own region.
std::string create_bucket_body(const std::string& region) {
  if (region.empty() || region == "us-east-1") return {};
  return "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
         "<LocationConstraint>" +
         region + "</LocationConstraint></CreateBucketConfiguration>";
}

std::string status_text(const HttpResponse& r) {
  std::string detail = s3_error_text(r.body);
  std::string s = "HTTP " + std::to_string(r.status);
  return detail.empty() ? s : s + " (" + detail + ")";
}

[[noreturn]] void refused(const std::string& bucket, const HttpResponse& r) {
  // The access key is left out on purpose: profiles treat it as a secret-named value.
  throw SeedFailure("bucket " + bucket + ": the S3 server refused the credentials (" +
                    status_text(r) + "); check the seed's access_key and secret_key");
}

}  // namespace

std::string s3_error_text(const std::string& body) {
  std::string code = xml_element(body, "Code");
  std::string message = xml_element(body, "Message");
  if (code.empty()) return message;
  return message.empty() ? code : code + ": " + message;
}

namespace {

HttpResponse signed_request(const S3Target& target, const std::string& method,
                            const std::string& key_path, const sigv4::Params& query,
                            const std::string& body, const HttpHeaders& headers,
                            std::chrono::system_clock::time_point now) {
  sigv4::Request sr;
  sr.method = method;
  sr.path = sigv4::uri_encode(key_path, false);
  sr.query = query;
  sr.payload_sha256 = sha256_hex(body);
  std::string date = sigv4::amz_date(now);
  for (const auto& [k, v] : headers) {
    std::string lower = to_lower(k);
    if (lower != "host" && lower != "x-amz-date" && lower != "x-amz-content-sha256" &&
        lower != "authorization")
      sr.headers.emplace_back(k, v);
  }
  sr.headers.emplace_back("Host", host_header(target));
  sr.headers.emplace_back("x-amz-content-sha256", sr.payload_sha256);
  sr.headers.emplace_back("x-amz-date", date);

  HttpRequest req;
  req.method = method;
  req.target = sr.path;
  if (!query.empty()) req.target += "?" + sigv4::canonical_query(query);
  req.headers = sr.headers;
  req.headers.emplace_back("Authorization", sigv4::authorization(sr, target.creds, date));
  req.body = body;
  return http_request(target.host, target.port, req, target.timeout);
}

}  // namespace

HttpResponse s3_request(const S3Target& target, const std::string& method,
                        const std::string& key_path, const std::string& body,
                        const HttpHeaders& headers, std::chrono::system_clock::time_point now) {
  return signed_request(target, method, key_path, {}, body, headers, now);
}

HttpResponse s3_request(const S3Target& target, const std::string& method,
                        const std::string& key_path, const sigv4::Params& query,
                        const std::string& body, const HttpHeaders& headers) {
  return signed_request(target, method, key_path, query, body, headers,
                        std::chrono::system_clock::now());
}

Outcome ensure_bucket(const S3Target& target, const std::string& bucket, const Progress& progress) {
  const std::string path = "/" + bucket;
  HttpResponse head = s3_request(target, "HEAD", path);
  if (head.status == 200) return Outcome::kUnchanged;
  if (head.status == 403) refused(bucket, head);
  if (head.status != 404)
    throw SeedFailure("bucket " + bucket + ": HEAD " + path + " answered " + status_text(head));

  if (progress) progress("bucket " + bucket);
  HttpResponse put = s3_request(target, "PUT", path, create_bucket_body(target.creds.region));
  if (put.status == 200) return Outcome::kCreated;
  std::string code = xml_element(put.body, "Code");
  if (put.status == 409 && code == "BucketAlreadyOwnedByYou") return Outcome::kUnchanged;
  if (put.status == 403) refused(bucket, put);
  if (put.status == 409 && code == "BucketAlreadyExists")
    throw SeedFailure("bucket " + bucket + ": the name is taken by another account");
  throw SeedFailure("bucket " + bucket + ": creating it failed with " + status_text(put));
}

SeedSummary seed_s3(const S3Target& target, const std::vector<profile::Bucket>& buckets,
                    const Progress& progress) {
  SeedSummary summary;
  for (const auto& b : buckets) {
    Outcome o;
    try {
      o = ensure_bucket(target, b.name, progress);
    } catch (const HttpError& e) {
      throw SeedFailure("bucket " + b.name + ": " + e.what());
    }
    if (o == Outcome::kCreated) {
      ++summary.applied;
      summary.notes.push_back("created bucket " + b.name);
    } else {
      ++summary.unchanged;
      summary.notes.push_back("bucket " + b.name + " exists");
    }
  }
  return summary;
}

}  // namespace biodev::seed
