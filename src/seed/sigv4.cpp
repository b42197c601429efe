#include "seed/sigv4.h"

#include <algorithm>
#include <ctime>
#include <map>

#include "util/crypto.h"
#include "util/strings.h"

namespace biodev::seed::sigv4 {
namespace {

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

// Trimmed, with runs of spaces collapsed to one, as the canonical header form requires.
std::string canonical_value(std::string_view v) {
  std::string t = trim(v);
  std::string out;
  out.reserve(t.size());
  for (char c : t) {
    if (c == ' ' && !out.empty() && out.back() == ' ') continue;
    out += c;
  }
  return out;
}

// Lowercase name -> values in order; std::map gives the byte order SigV4 sorts by.
std::map<std::string, std::vector<std::string>> header_map(const Params& headers) {
  std::map<std::string, std::vector<std::string>> m;
  for (const auto& [k, v] : headers) m[to_lower(k)].push_back(canonical_value(v));
  return m;
}

}  // namespace

std::string uri_encode(std::string_view s, bool encode_slash) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (unreserved(c) || (c == '/' && !encode_slash)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 15];
    }
  }
  return out;
}

std::string canonical_query(const Params& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  for (const auto& [k, v] : query) encoded.emplace_back(uri_encode(k, true), uri_encode(v, true));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [k, v] : encoded) {
    if (!out.empty()) out += '&';
    out += k + "=" + v;
  }
  return out;
}

std::string signed_headers(const Params& headers) {
  std::vector<std::string> names;
  for (const auto& [name, values] : header_map(headers)) names.push_back(name);
  return join(names, ";");
}

std::string canonical_request(const Request& request) {
  std::string headers;
  for (const auto& [name, values] : header_map(request.headers))
    headers += name + ":" + join(values, ",") + "\n";
  return request.method + "\n" + request.path + "\n" + canonical_query(request.query) + "\n" +
         headers + "\n" + signed_headers(request.headers) + "\n" + request.payload_sha256;
}

std::string credential_scope(std::string_view date, const Credentials& creds) {
  return std::string(date) + "/" + creds.region + "/" + creds.service + "/aws4_request";
}

std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request) {
  return "AWS4-HMAC-SHA256\n" + std::string(amz_date) + "\n" + std::string(scope) + "\n" +
         sha256_hex(canonical_request);
}

std::string signing_key(std::string_view secret_key, std::string_view date, std::string_view region,
                        std::string_view service) {
  std::string k = hmac_sha256("AWS4" + std::string(secret_key), date);
  k = hmac_sha256(k, region);
  k = hmac_sha256(k, service);
  return hmac_sha256(k, "aws4_request");
}

std::string signature(const Request& request, const Credentials& creds, std::string_view amz_date) {
  std::string_view date = amz_date.substr(0, 8);
  std::string sts =
      string_to_sign(amz_date, credential_scope(date, creds), canonical_request(request));
  return hex(hmac_sha256(signing_key(creds.secret_key, date, creds.region, creds.service), sts));
}

std::string authorization(const Request& request, const Credentials& creds,
                          std::string_view amz_date) {
  return "AWS4-HMAC-SHA256 Credential=" + creds.access_key + "/" +
         credential_scope(amz_date.substr(0, 8), creds) +
         ", SignedHeaders=" + signed_headers(request.headers) +
         ", Signature=" + signature(request, creds, amz_date);
}

std::string amz_date(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[20];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

}  // namespace biodev::seed::sigv4
