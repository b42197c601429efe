// A small blocking HTTP/1.1 client for the seeders' calls to S3 and Qdrant on loopback.
//
// One request per connection ("Connection: close"); plain TCP, no TLS, no redirects, no
// proxies. Every call has a deadline covering connect, send and the whole response, so a
// server that stops answering cannot hang `biodev up`.
#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace biodev::seed {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string target = "/";  // origin form: path and query, already percent-encoded
  // Sent as given. Host, Content-Length (when there is a body or the method is PUT/POST)
  // and Connection are added unless present; a Host given here is sent unchanged, which
  // matters for signed requests.
  HttpHeaders headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;
  std::string reason;
  HttpHeaders headers;  // as received
  std::string body;     // de-chunked; empty for HEAD, 204 and 304

  // First header with this name, compared case-insensitively; "" when absent.
  std::string header(std::string_view name) const;
};

// The exchange failed: no connection, a timeout, a reset, or bytes that are not an HTTP
// response. The message names host:port and what went wrong.
class HttpError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Sends `request` to host:port (a name or an address; every resolved address is tried)
// and returns the response, whatever its status. Throws HttpError.
HttpResponse http_request(const std::string& host, int port, const HttpRequest& request,
                          std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Parses one response from the start of `raw`, skipping interim 1xx responses. Returns
// nullopt while more bytes are needed; with `eof` (the peer closed) a body without a
// length ends there, and a truncated response throws HttpError, as does a malformed one.
// `head_request`: the response to HEAD has no body whatever its headers say.
std::optional<HttpResponse> parse_http_response(std::string_view raw, bool head_request, bool eof);

// The request as it goes on the wire, with the defaults described for HttpRequest.
std::string serialize_http_request(const std::string& host, int port, const HttpRequest& request);

}  // namespace biodev::seed
