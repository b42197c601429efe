// The Beast transport: HTTP/1.1 over a unix or tcp socket (TLS and ssh engines through a
// dialer, dial.h, that hands over a connected local socket), with a pool of keep-alive
// connections. Each connection owns an io_context, and every blocking call is an async
// operation run to completion on it with a deadline armed on the stream, so no read or
// write can outlive its deadline: a timed-out basic_stream closes its socket and the
// operation completes with beast::error::timeout.
#include <fmt/format.h>
#include <poll.h>

#include <atomic>
#include <cstdint>
#include <limits>
#include <mutex>
#include <type_traits>

#include "docker/client.h"
#include "docker/dial.h"
#include "docker/disconnects.h"
#include "docker/errors.h"
#include "docker/fd_stream.h"
#include "docker/transport.h"
#include "util/asio.h"
#include "util/strings.h"
#include "util/version.h"

namespace biodev::docker {

namespace {

// engine_disconnects(): one count for the whole process, over every transport.
std::atomic<long long> g_disconnects{0};

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using error_code = boost::system::error_code;

constexpr size_t kMaxIdle = 4;                 // idle keep-alive connections kept per transport
// A dialed connection costs a TLS handshake or an ssh login: keep more of them.
constexpr size_t kMaxIdleDialed = 16;
constexpr size_t kReadChunk = 64 * 1024;       // stream() delivery buffer
constexpr milliseconds kConnectTimeout = 10s;  // for calls that have no deadline of their own

std::string format_span(milliseconds t) {
  if (t.count() % 1000 == 0) return fmt::format("{}s", t.count() / 1000);
  return fmt::format("{}ms", t.count());
}

// When the next socket operation must be done by. request() and upgrade() give the whole
// call one deadline; stream() gives each operation its own (an idle timeout) or none.
class Deadline {
 public:
  static Deadline whole(milliseconds span) {
    return Deadline(span, span.count() > 0 ? kAt : kNone);
  }
  static Deadline idle(milliseconds span) {
    return Deadline(span, span.count() > 0 ? kIdle : kNone);
  }

  template <class Stream>
  void arm(Stream& stream) const {
    switch (mode_) {
      case kAt:
        stream.expires_at(at_);
        break;
      case kIdle:
        stream.expires_after(span_);
        break;
      case kNone:
        stream.expires_never();
        break;
    }
  }
  // Connecting is never left unbounded, even for a long poll.
  template <class Stream>
  void arm_connect(Stream& stream) const {
    if (mode_ == kNone) {
      stream.expires_after(kConnectTimeout);
    } else {
      arm(stream);
    }
  }
  milliseconds span() const { return mode_ == kNone ? kConnectTimeout : span_; }

 private:
  enum Mode { kAt, kIdle, kNone };
  Deadline(milliseconds span, Mode mode) : mode_(mode), span_(span), at_(Clock::now() + span) {}
  Mode mode_;
  milliseconds span_;
  Clock::time_point at_;
};

template <class Protocol>
struct Connection {
  net::io_context ioc{1};
  beast::basic_stream<Protocol> stream{ioc};  // declared after ioc: destroyed first
  beast::flat_buffer buffer;
  bool reused = false;

  // Runs one asynchronous operation to completion. Only the deadline armed on the stream
  // bounds it; the io_context serves this connection alone, so run() returns as soon as
  // the operation (and its timer, which basic_stream cancels) is done.
  template <class Initiate>
  error_code run(Initiate&& initiate) {
    error_code result;
    initiate([&result](error_code ec, auto&&...) { result = ec; });
    ioc.restart();
    ioc.run();
    return result;
  }

  // An idle connection that is readable has either been closed by the engine or holds
  // bytes nobody asked for; neither may carry the next request.
  bool stale() {
    pollfd p{stream.socket().native_handle(), POLLIN, 0};
    return buffer.size() != 0 || ::poll(&p, 1, 0) != 0;
  }
};

bool idempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" ||
         method == "OPTIONS";
}

bool closed_by_peer(const error_code& ec) {
  return ec == http::error::end_of_stream || ec == net::error::eof ||
         ec == net::error::connection_reset || ec == net::error::broken_pipe;
}

template <class Body>
void fill_headers(http::request<Body>& msg, const HttpRequest& req, bool has_body) {
  msg.method_string(req.method);
  msg.target(req.target);
  msg.version(11);
  msg.set(http::field::host, "docker");
  msg.set(http::field::user_agent, fmt::format("biodev/{}", kVersion));
  if (has_body) msg.set(http::field::content_type, req.content_type);
  for (const auto& [name, value] : req.headers) msg.set(name, value);
  msg.prepare_payload();
}

template <class Protocol, class Body>
error_code write_message(Connection<Protocol>& conn, http::request<Body>& msg,
                         const Deadline& deadline) {
  // write_some in a loop rather than one async_write so an idle deadline applies per
  // piece: a build context of hundreds of MB may take longer than any fixed deadline.
  http::request_serializer<Body> serializer(msg);
  while (!serializer.is_done()) {
    deadline.arm(conn.stream);
    error_code ec = conn.run(
        [&](auto handler) { http::async_write_some(conn.stream, serializer, std::move(handler)); });
    if (ec) return ec;
  }
  return {};
}

template <class Protocol>
error_code send(Connection<Protocol>& conn, const HttpRequest& req, const Deadline& deadline) {
  if (req.body_file.empty()) {
    http::request<http::string_body> msg;
    msg.body() = req.body;
    fill_headers(msg, req, !req.body.empty());
    return write_message(conn, msg, deadline);
  }
  // file_body streams the file through a small buffer: the body never sits in memory.
  http::request<http::file_body> msg;
  error_code ec;
  msg.body().open(req.body_file.c_str(), beast::file_mode::scan, ec);
  if (ec) {
    throw Error(ExitCode::kFailed, fmt::format("cannot read {}: {}", req.body_file, ec.message()));
  }
  fill_headers(msg, req, true);
  return write_message(conn, msg, deadline);
}

template <class Fields>
HttpResponse response_head(const http::response_header<Fields>& head) {
  HttpResponse res;
  res.status = static_cast<int>(head.result_int());
  for (const auto& field : head) {
    res.headers.emplace_back(to_lower(field.name_string()), std::string(field.value()));
  }
  return res;
}

std::string connect_hint(const error_code& ec) {
  if (ec == net::error::access_denied) {
    return " (is your user in the docker group? sudo usermod -aG docker $USER, then log in "
           "again)";
  }
  if (ec == boost::system::errc::no_such_file_or_directory ||
      ec == net::error::connection_refused) {
    return " (is dockerd running? start it, then run the command again)";
  }
  return "";
}

template <class Protocol>
class SocketTransport final : public Transport {
 public:
  explicit SocketTransport(Endpoint endpoint, std::unique_ptr<Dialer> dialer = nullptr)
      : endpoint_(std::move(endpoint)), dialer_(std::move(dialer)) {}

  HttpResponse request(const HttpRequest& req) override;
  HttpResponse stream(const HttpRequest& req, const ChunkSink& sink) override;
  std::unique_ptr<RawStream> upgrade(const HttpRequest& req) override;
  std::string describe() const override { return endpoint_.to_string(); }

 private:
  using Conn = Connection<Protocol>;
  template <class Body>
  struct Exchange {
    std::unique_ptr<Conn> conn;
    std::unique_ptr<http::response_parser<Body>> parser;
  };

  template <class Body>
  Exchange<Body> open(const HttpRequest& req, const Deadline& deadline);
  template <class Body>
  void read_rest(Exchange<Body>& ex, const HttpRequest& req, const Deadline& deadline);
  std::unique_ptr<Conn> acquire(const Deadline& deadline, bool allow_idle);
  std::unique_ptr<Conn> connect(const Deadline& deadline);
  void dial(Conn& conn, const Deadline& deadline);
  void release(std::unique_ptr<Conn> conn, bool keep_alive);
  [[noreturn]] void fail(const HttpRequest& req, const Deadline& deadline, error_code ec) const;

  Endpoint endpoint_;
  std::unique_ptr<Dialer> dialer_;  // TLS and ssh; null for a socket connected directly
  std::mutex mutex_;
  std::vector<std::unique_ptr<Conn>> idle_;
};

// Sends the request and reads the response header. A pooled connection the engine has
// closed in the meantime fails on write, or with a clean EOF before any response byte;
// then the request is sent again, once, on a new connection, provided the engine cannot
// have acted on it (not fully written, or an idempotent method).
template <class Protocol>
template <class Body>
auto SocketTransport<Protocol>::open(const HttpRequest& req, const Deadline& deadline)
    -> Exchange<Body> {
  for (int attempt = 0;; ++attempt) {
    Exchange<Body> ex{acquire(deadline, attempt == 0),
                      std::make_unique<http::response_parser<Body>>()};
    // Log and event streams are unbounded. Not boost::none: Beast 1.74 compares a
    // Content-Length against a disengaged optional as "exceeded".
    ex.parser->body_limit(std::numeric_limits<std::uint64_t>::max());
    // A HEAD answer announces a body it does not send (its Content-Length is the GET's).
    if (req.method == "HEAD") ex.parser->skip(true);
    Conn& conn = *ex.conn;
    bool written = false;
    error_code ec = send(conn, req, deadline);
    if (!ec) {
      written = true;
      deadline.arm(conn.stream);
      ec = conn.run([&](auto handler) {
        http::async_read_header(conn.stream, conn.buffer, *ex.parser, std::move(handler));
      });
    }
    if (!ec) return ex;
    if (conn.reused && closed_by_peer(ec)) g_disconnects.fetch_add(1);
    bool retry = conn.reused && attempt == 0 && ec != beast::error::timeout &&
                 (!written || (closed_by_peer(ec) && idempotent(req.method)));
    if (!retry) fail(req, deadline, ec);
  }
}

template <class Protocol>
template <class Body>
void SocketTransport<Protocol>::read_rest(Exchange<Body>& ex, const HttpRequest& req,
                                          const Deadline& deadline) {
  if (ex.parser->is_done()) return;
  Conn& conn = *ex.conn;
  deadline.arm(conn.stream);
  error_code ec = conn.run([&](auto handler) {
    http::async_read(conn.stream, conn.buffer, *ex.parser, std::move(handler));
  });
  if (ec) fail(req, deadline, ec);
}

template <class Protocol>
HttpResponse SocketTransport<Protocol>::request(const HttpRequest& req) {
  Deadline deadline = Deadline::whole(req.timeout);
  auto ex = open<http::string_body>(req, deadline);
  read_rest(ex, req, deadline);
  HttpResponse res = response_head(ex.parser->get());
  res.body = std::move(ex.parser->get().body());
  release(std::move(ex.conn), ex.parser->keep_alive());
  return res;
}

template <class Protocol>
HttpResponse SocketTransport<Protocol>::stream(const HttpRequest& req, const ChunkSink& sink) {
  Deadline deadline = Deadline::idle(req.timeout);
  auto ex = open<http::buffer_body>(req, deadline);
  auto& parser = *ex.parser;
  Conn& conn = *ex.conn;
  HttpResponse res = response_head(parser.get());
  bool success = res.status >= 200 && res.status < 300;
  std::vector<char> buf(kReadChunk);
  // read_some hands over whatever one socket read brings (already de-chunked), so a
  // follower sees each log line as soon as the engine sends it.
  while (!parser.is_done()) {
    auto& body = parser.get().body();
    body.data = buf.data();
    body.size = buf.size();
    deadline.arm(conn.stream);
    error_code ec = conn.run([&](auto handler) {
      http::async_read_some(conn.stream, conn.buffer, parser, std::move(handler));
    });
    if (ec == http::error::need_buffer) ec = {};
    if (ec) fail(req, deadline, ec);
    std::string_view chunk(buf.data(), buf.size() - body.size);
    if (chunk.empty()) continue;
    if (!success) {
      res.body.append(chunk);
    } else if (!sink(chunk)) {
      return res;  // the rest of the body is unread: the connection is closed, not pooled
    }
  }
  release(std::move(ex.conn), parser.keep_alive());
  return res;
}

template <class Protocol>
std::unique_ptr<RawStream> SocketTransport<Protocol>::upgrade(const HttpRequest& req) {
  HttpRequest up = req;
  up.headers.emplace_back("Connection", "Upgrade");
  up.headers.emplace_back("Upgrade", "tcp");
  Deadline deadline = Deadline::whole(req.timeout);
  auto ex = open<http::string_body>(up, deadline);
  int status = static_cast<int>(ex.parser->get().result_int());
  if (status == 101 || status == 200) {
    // Whatever the engine sent right after its headers is already in our buffer.
    std::string buffered = beast::buffers_to_string(ex.conn->buffer.data());
    auto socket = ex.conn->stream.release_socket();
    error_code ec;
    int fd = socket.release(ec);
    if (ec) fail(req, deadline, ec);
    return make_fd_stream(fd, std::move(buffered));
  }
  read_rest(ex, up, deadline);
  std::string message = message_from_body(ex.parser->get().body());
  throw EngineError(classify(status, message), status, message);
}

template <class Protocol>
auto SocketTransport<Protocol>::acquire(const Deadline& deadline, bool allow_idle)
    -> std::unique_ptr<Conn> {
  if (allow_idle) {
    std::lock_guard lock(mutex_);
    while (!idle_.empty()) {
      std::unique_ptr<Conn> conn = std::move(idle_.back());
      idle_.pop_back();
      if (!conn->stale()) {
        conn->reused = true;
        return conn;
      }
    }
  }
  return connect(deadline);
}

template <class Protocol>
auto SocketTransport<Protocol>::connect(const Deadline& deadline) -> std::unique_ptr<Conn> {
  auto conn = std::make_unique<Conn>();
  if constexpr (std::is_same_v<Protocol, net::local::stream_protocol>) {
    if (dialer_) {
      dial(*conn, deadline);
      return conn;
    }
  }
  deadline.arm_connect(conn->stream);
  error_code ec;
  if constexpr (std::is_same_v<Protocol, net::local::stream_protocol>) {
    try {
      typename Protocol::endpoint target(endpoint_.path);
      ec = conn->run([&](auto handler) { conn->stream.async_connect(target, std::move(handler)); });
    } catch (const boost::system::system_error& e) {  // path too long for sockaddr_un
      ec = e.code();
    }
  } else {
    net::ip::tcp::resolver resolver(conn->ioc);
    auto results = resolver.resolve(endpoint_.host, endpoint_.port, ec);
    if (!ec) {
      ec =
          conn->run([&](auto handler) { conn->stream.async_connect(results, std::move(handler)); });
    }
  }
  if (ec) {
    if (ec != beast::error::timeout) g_disconnects.fetch_add(1);
    std::string reason = ec == beast::error::timeout
                             ? fmt::format("no answer within {}", format_span(deadline.span()))
                             : ec.message();
    throw EngineError(ErrorKind::kUnreachable, 0,
                      fmt::format("cannot reach the Docker engine at {}: {}{}", describe(), reason,
                                  connect_hint(ec)));
  }
  return conn;
}

// A dialed connection (TLS, ssh) is proven by one /_ping before it carries a call: ssh
// "connects" at once and only then fails to log in, and a TLS 1.3 engine refuses a
// client certificate after the handshake. Any HTTP answer proves it; no answer gets
// the dialer's account of why (ssh's stderr, the TLS alert).
template <class Protocol>
void SocketTransport<Protocol>::dial(Conn& conn, const Deadline& deadline) {
  Dialed dialed = dialer_->dial(deadline.span());
  error_code ec;
  conn.stream.socket().assign(net::local::stream_protocol(), dialed.fd, ec);
  if (!ec && dialer_->ping_new_connections()) {
    HttpRequest ping;
    ping.target = "/_ping";
    http::response<http::string_body> res;
    ec = send(conn, ping, deadline);
    if (!ec) {
      deadline.arm_connect(conn.stream);
      ec = conn.run([&](auto handler) { http::async_read(conn.stream, conn.buffer, res, std::move(handler)); });
    }
  }
  if (!ec) return;
  g_disconnects.fetch_add(1);
  std::string why = dialed.explain ? dialed.explain() : "";
  if (why.empty())
    why = ec == beast::error::timeout ? fmt::format("no answer within {}", format_span(deadline.span()))
                                      : ec.message();
  throw EngineError(ErrorKind::kUnreachable, 0, fmt::format("cannot reach the Docker engine at {}: {}", describe(), why));
}

template <class Protocol>
void SocketTransport<Protocol>::release(std::unique_ptr<Conn> conn, bool keep_alive) {
  if (!keep_alive || conn->buffer.size() != 0) return;  // closed on destruction
  std::lock_guard lock(mutex_);
  if (idle_.size() < (dialer_ ? kMaxIdleDialed : kMaxIdle)) idle_.push_back(std::move(conn));
}

template <class Protocol>
void SocketTransport<Protocol>::fail(const HttpRequest& req, const Deadline& deadline,
                                     error_code ec) const {
  std::string call = fmt::format("{} {}", req.method, req.target);
  if (ec == beast::error::timeout) {
    throw EngineError(ErrorKind::kTimeout, 0,
                      fmt::format("the Docker engine at {} did not answer {} within {}", describe(),
                                  call, format_span(deadline.span())));
  }
  if (closed_by_peer(ec) || ec == http::error::partial_message) {
    // 2376 is the TLS engine's port: plain HTTP to it is closed without an answer.
    bool plain_to_tls = endpoint_.kind == Endpoint::Kind::kTcp && !endpoint_.tls && endpoint_.port == "2376";
    throw EngineError(ErrorKind::kUnreachable, 0,
                      fmt::format("the Docker engine at {} closed the connection during {}{}", describe(), call,
                                  plain_to_tls ? " (an engine on port 2376 speaks TLS: set DOCKER_TLS_VERIFY=1 "
                                                 "and DOCKER_CERT_PATH)"
                                               : ""));
  }
  if (ec.category() == http::make_error_code(http::error::bad_version).category()) {
    throw EngineError(
        ErrorKind::kProtocol, 0,
        fmt::format("malformed HTTP from the Docker engine during {}: {}", call, ec.message()));
  }
  throw EngineError(ErrorKind::kUnreachable, 0,
                    fmt::format("lost the connection to the Docker engine at {} during {}: {}",
                                describe(), call, ec.message()));
}

}  // namespace

long long engine_disconnects() { return g_disconnects.load(); }

bool engine_went_away(Client& client, long long before, const std::vector<std::string>& errors) {
  for (const auto& e : errors)
    if (e.find("transport is closing") != std::string::npos) return true;
  if (engine_disconnects() > before) return true;
  try {
    client.call("GET", "/_ping", nullptr, std::chrono::seconds(5));
  } catch (const EngineError& e) {
    if (e.kind() == ErrorKind::kUnreachable || e.kind() == ErrorKind::kTimeout) return true;
  }
  return engine_disconnects() > before;
}

std::shared_ptr<Transport> make_socket_transport(const Endpoint& endpoint) {
  using Local = SocketTransport<net::local::stream_protocol>;
  if (endpoint.kind == Endpoint::Kind::kSsh) return std::make_shared<Local>(endpoint, make_ssh_dialer(endpoint));
  if (endpoint.tls) return std::make_shared<Local>(endpoint, make_tls_dialer(endpoint));
  if (endpoint.kind == Endpoint::Kind::kTcp) {
    return std::make_shared<SocketTransport<net::ip::tcp>>(endpoint);
  }
  return std::make_shared<SocketTransport<net::local::stream_protocol>>(endpoint);
}

}  // namespace biodev::docker
