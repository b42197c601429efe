#include "seed/http.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "util/strings.h"

namespace biodev::seed {
namespace {

using Clock = std::chrono::steady_clock;

// Large enough for any Qdrant or S3 control reply; a runaway peer is cut off.
constexpr size_t kMaxResponseBytes = 64 * 1024 * 1024;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && to_lower(a) == to_lower(b);
}

bool has_header(const HttpHeaders& headers, std::string_view name) {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return true;
  return false;
}

class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

int millis_left(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

// Waits for `events` on fd until the deadline; false on timeout.
bool wait_for(int fd, short events, Clock::time_point deadline) {
  while (true) {
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, millis_left(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

// Non-blocking connect to one resolved address, so the deadline bounds it; returns -1
// and sets `why` on failure.
int connect_one(const addrinfo* ai, Clock::time_point deadline, std::string& why) {
  int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
  if (fd < 0) {
    why = std::strerror(errno);
    return -1;
  }
  if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) return fd;
  if (errno == EINPROGRESS && wait_for(fd, POLLOUT, deadline)) {
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err == 0) return fd;
    why = std::strerror(err);
  } else {
    why = errno == EINPROGRESS ? "timed out" : std::strerror(errno);
  }
  ::close(fd);
  return -1;
}

int connect_to(const std::string& host, int port, Clock::time_point deadline,
               const std::string& where) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &list);
  if (rc != 0) throw HttpError(where + ": cannot resolve host: " + ::gai_strerror(rc));
  std::string why = "no address";
  int fd = -1;
  for (const addrinfo* ai = list; ai && fd < 0; ai = ai->ai_next)
    fd = connect_one(ai, deadline, why);
  ::freeaddrinfo(list);
  if (fd < 0) throw HttpError(where + ": cannot connect: " + why);
  return fd;
}

void send_all(int fd, std::string_view data, Clock::time_point deadline, const std::string& where) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_for(fd, POLLOUT, deadline)) throw HttpError(where + ": timed out sending");
    } else {
      throw HttpError(where + ": send failed: " + std::strerror(errno));
    }
  }
}

// Reads until a whole response has arrived (or the peer closes).
HttpResponse receive(int fd, bool head_request, Clock::time_point deadline,
                     const std::string& where) {
  std::string raw;
  char buf[16384];
  while (true) {
    if (!wait_for(fd, POLLIN, deadline)) throw HttpError(where + ": timed out waiting for reply");
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (n < 0) throw HttpError(where + ": receive failed: " + std::strerror(errno));
    raw.append(buf, static_cast<size_t>(n));
    if (raw.size() > kMaxResponseBytes) throw HttpError(where + ": reply too large");
    try {
      if (auto r = parse_http_response(raw, head_request, n == 0)) return *r;
    } catch (const HttpError& e) {
      throw HttpError(where + ": " + e.what());
    }
  }
}

// ---- parsing ----

std::optional<size_t> parse_size(std::string_view s, int base) {
  size_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

void parse_head(std::string_view head, HttpResponse& r) {
  auto lines = split(head, '\n');
  std::string status_line = trim(lines[0]);
  // "HTTP/1.1 404 Not Found"
  if (!starts_with(status_line, "HTTP/1.") || status_line.size() < 12 || status_line[8] != ' ')
    throw HttpError("not an HTTP response: " + status_line.substr(0, 40));
  auto code = parse_size(std::string_view(status_line).substr(9, 3), 10);
  if (!code) throw HttpError("bad status line: " + status_line.substr(0, 40));
  r.status = static_cast<int>(*code);
  r.reason = status_line.size() > 13 ? status_line.substr(13) : "";
  for (size_t i = 1; i < lines.size(); ++i) {
    size_t colon = lines[i].find(':');
    if (colon == std::string::npos) continue;
    r.headers.emplace_back(trim(std::string_view(lines[i]).substr(0, colon)),
                           trim(std::string_view(lines[i]).substr(colon + 1)));
  }
}

// Decodes a chunked body starting at `body`; nullopt while incomplete.
std::optional<std::string> dechunk(std::string_view body) {
  std::string out;
  while (true) {
    size_t eol = body.find("\r\n");
    if (eol == std::string_view::npos) return std::nullopt;
    std::string_view size_field = body.substr(0, eol);
    size_field = size_field.substr(0, size_field.find(';'));  // chunk extensions
    auto size = parse_size(trim(size_field), 16);
    if (!size) throw HttpError("bad chunk size");
    body.remove_prefix(eol + 2);
    if (*size == 0) {
      // Trailers, if any, end with an empty line.
      bool done = starts_with(body, "\r\n") || body.find("\r\n\r\n") != std::string_view::npos;
      return done ? std::optional<std::string>(std::move(out)) : std::nullopt;
    }
    if (body.size() < *size + 2) return std::nullopt;
    out.append(body.substr(0, *size));
    body.remove_prefix(*size + 2);
  }
}

// Fills r.body from the bytes after the head; false while more are needed.
bool parse_body(std::string_view rest, bool eof, HttpResponse& r) {
  if (to_lower(r.header("transfer-encoding")).find("chunked") != std::string::npos) {
    auto body = dechunk(rest);
    if (!body) {
      if (eof) throw HttpError("connection closed inside a chunked body");
      return false;
    }
    r.body = std::move(*body);
    return true;
  }
  std::string length = r.header("content-length");
  if (!length.empty()) {
    auto n = parse_size(length, 10);
    if (!n) throw HttpError("bad Content-Length: " + length);
    if (rest.size() < *n) {
      if (eof) throw HttpError("connection closed before the end of the body");
      return false;
    }
    r.body = std::string(rest.substr(0, *n));
    return true;
  }
  if (!eof) return false;  // the body ends when the peer closes
  r.body = std::string(rest);
  return true;
}

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return v;
  return {};
}

std::optional<HttpResponse> parse_http_response(std::string_view raw, bool head_request, bool eof) {
  while (true) {
    size_t end = raw.find("\r\n\r\n");
    if (end == std::string_view::npos) {
      if (eof)
        throw HttpError(raw.empty() ? "connection closed without a reply"
                                    : "connection closed inside the reply headers");
      return std::nullopt;
    }
    HttpResponse r;
    parse_head(raw.substr(0, end), r);
    std::string_view rest = raw.substr(end + 4);
    if (r.status >= 100 && r.status < 200 && r.status != 101) {
      raw = rest;  // 100 Continue and friends: the real reply follows
      continue;
    }
    if (head_request || r.status == 204 || r.status == 304) return r;
    if (!parse_body(rest, eof, r)) return std::nullopt;
    return r;
  }
}

std::string serialize_http_request(const std::string& host, int port, const HttpRequest& request) {
  std::string out = request.method + " " + request.target + " HTTP/1.1\r\n";
  if (!has_header(request.headers, "host")) {
    bool v6 = host.find(':') != std::string::npos;
    out += "Host: " + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port) + "\r\n";
  }
  for (const auto& [k, v] : request.headers) out += k + ": " + v + "\r\n";
  bool needs_length = !request.body.empty() || request.method == "PUT" || request.method == "POST";
  if (needs_length && !has_header(request.headers, "content-length"))
    out += "Content-Length: " + std::to_string(request.body.size()) + "\r\n";
  if (!has_header(request.headers, "connection")) out += "Connection: close\r\n";
  out += "\r\n";
  out += request.body;
  return out;
}

HttpResponse http_request(const std::string& host, int port, const HttpRequest& request,
                          std::chrono::milliseconds timeout) {
  const std::string where = request.method + " http://" + host + ":" + std::to_string(port) +
                            request.target.substr(0, request.target.find('?'));
  auto deadline = Clock::now() + timeout;
  Socket sock(connect_to(host, port, deadline, where));
  send_all(sock.fd(), serialize_http_request(host, port, request), deadline, where);
  return receive(sock.fd(), request.method == "HEAD", deadline, where);
}

}  // namespace biodev::seed
