#include <cstring>

#include "seed/sigv4.h"
#include "store/clients.h"

namespace biodev::store {
namespace {

std::string xml_unescape(std::string s) {
  static const std::pair<const char*, const char*> entities[] = {
      {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}, {"&amp;", "&"}};
  for (const auto& [from, to] : entities)
    for (size_t i = s.find(from); i != std::string::npos; i = s.find(from, i + 1))
      s.replace(i, strlen(from), to);
  return s;
}

bool deleted(const seed::HttpResponse& r) {
  return r.status == 204 || r.status == 200 || r.status == 404;
}

}  // namespace

std::vector<std::string> xml_values(const std::string& body, const std::string& tag) {
  std::vector<std::string> out;
  const std::string open = "<" + tag + ">", close = "</" + tag + ">";
  for (size_t i = body.find(open); i != std::string::npos; i = body.find(open, i)) {
    i += open.size();
    size_t end = body.find(close, i);
    if (end == std::string::npos) break;
    out.push_back(xml_unescape(body.substr(i, end - i)));
    i = end;
  }
  return out;
}

seed::S3Target s3_target(const S3Store& s) {
  seed::S3Target t;
  t.host = address_of(s.host, s.port);
  t.port = s.port;
  t.creds = {s.access_key, s.secret_key, s.region, "s3"};
  t.timeout = std::chrono::seconds(60);
  return t;
}

void s3_failed(const std::string& what, const seed::HttpResponse& r) {
  std::string detail = seed::s3_error_text(r.body);
  throw StoreFailure("s3 " + what + ": HTTP " + std::to_string(r.status) +
                     (detail.empty() ? "" : " (" + detail + ")"));
}

seed::HttpResponse s3_call(const seed::S3Target& t, const std::string& method,
                           const std::string& path, const seed::HttpHeaders& headers,
                           const std::string& body) {
  try {
    return seed::s3_request(t, method, path, body, headers);
  } catch (const seed::HttpError& e) {
    forget_addresses();
    throw StoreFailure(std::string("s3 ") + method + " " + path + ": " + e.what());
  }
}

std::vector<std::string> s3_buckets(const seed::S3Target& t) {
  auto r = s3_call(t, "GET", "/");
  if (r.status != 200) s3_failed("listing buckets", r);
  std::vector<std::string> names;
  for (const auto& b : xml_values(r.body, "Bucket"))
    for (const auto& n : xml_values(b, "Name")) names.push_back(n);
  return names;
}

std::vector<std::string> s3_keys(const seed::S3Target& t, const std::string& bucket) {
  std::vector<std::string> keys;
  for (std::string marker;;) {
    seed::sigv4::Params query;
    if (!marker.empty()) query.emplace_back("marker", marker);
    seed::HttpResponse r;
    try {
      r = seed::s3_request(t, "GET", "/" + bucket, query, "");
    } catch (const seed::HttpError& e) {
      forget_addresses();
      throw StoreFailure("s3 listing bucket " + bucket + ": " + e.what());
    }
    if (r.status == 404) return {};
    if (r.status != 200) s3_failed("listing bucket " + bucket, r);
    // Each <Contents> holds one <Key>; <Prefix> and <Marker> are outside them.
    size_t before = keys.size();
    for (const auto& c : xml_values(r.body, "Contents"))
      for (const auto& k : xml_values(c, "Key")) keys.push_back(k);
    auto truncated = xml_values(r.body, "IsTruncated");
    if (keys.size() == before || truncated.empty() || truncated.front() != "true") return keys;
    marker = keys.back();
  }
}

void s3_drop_bucket(const seed::S3Target& t, const std::string& bucket) {
  // Most buckets dropped are empty: such a bucket goes in one call; one with objects
  // answers 409 (BucketNotEmpty) and they are deleted first.
  if (deleted(s3_call(t, "DELETE", "/" + bucket))) return;
  for (const auto& key : s3_keys(t, bucket)) {
    auto r = s3_call(t, "DELETE", "/" + bucket + "/" + key);
    if (!deleted(r)) s3_failed("deleting " + bucket + "/" + key, r);
  }
  auto r = s3_call(t, "DELETE", "/" + bucket);
  if (!deleted(r)) s3_failed("deleting bucket " + bucket, r);
}

}  // namespace biodev::store
