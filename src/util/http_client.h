// A small blocking HTTP/1.1 client over Boost.Beast, for calls to the stack's own servers
// (the seeders' S3 and Qdrant requests).
//
// One request per connection ("Connection: close"); plain TCP, no TLS, no redirects, no
// proxies. Every call has one deadline covering name lookup, connect, send and the whole
// response, so a server that stops answering cannot hang `biodev up`.
#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace biodev::util {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string target = "/";  // origin form: path and query, already percent-encoded
  // Sent as given. Host, Content-Length (when there is a body or the method is PUT/POST)
  // and Connection: close are added unless present; a Host given here is sent unchanged,
  // which matters for signed requests.
  HttpHeaders headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;
  std::string reason;
  HttpHeaders headers;  // as received
  std::string body;     // de-chunked; empty for HEAD, 204 and 304 (interim 1xx are skipped)

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
// and returns the response, whatever its status. Throws HttpError naming
// "METHOD http://host:port/path" and what failed: "cannot connect: connection refused",
// "timed out after 300ms (waiting for the response)", a malformed or truncated reply.
HttpResponse http_request(const std::string& host, int port, const HttpRequest& request,
                          std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace biodev::util
