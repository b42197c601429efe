// The HTTP/1.1 server behind `biodev serve <name>`.
//
// Handlers are plain functions from a Request to a Reply, with no sockets or Beast
// types in sight, so every endpoint is unit-tested by calling it directly. The server
// core (server.cpp) owns the sockets: keep-alive sessions on N threads, replies that
// arrive later (delay, deferred, proxy_to) without blocking a thread, and a graceful
// stop. This header is cheap to include; Beast stays inside server.cpp and proxy.cpp.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace biodev::serve {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;  // "GET"
  std::string target;  // "/v1/embeddings?x=1", as sent
  Headers headers;     // names lowercased, in arrival order
  std::string body;
  std::string client_ip;  // peer address, "" when unknown (tests)
  // The connection it came on: unique for the server's life, 0 in tests. Pairs with
  // ServerOptions::on_disconnect.
  unsigned long long connection = 0;

  std::string_view path() const;   // target up to '?'
  std::string_view query() const;  // after '?', "" when none
  // First header with this (lowercase) name, "" when absent.
  std::string_view header(std::string_view lower_name) const;
};

// Where the core forwards a request: same method, headers and body; `target` is the
// path and query sent upstream. 502 when the upstream cannot be reached or answers
// garbage, 504 when it does not answer within `timeout`.
struct ProxyTarget {
  std::string host;  // DNS name or address
  int port = 0;
  std::string target;
  std::chrono::milliseconds timeout{30000};
};

struct Reply;
// Delivers a reply produced later; callable from any thread, exactly once.
using ReplySink = std::function<void(Reply)>;

// The body of a streamed reply (server-sent events, a followed log): bytes are sent as
// they are written, and the connection closes when the writer is closed or the last
// reference to it is dropped. Callable from any thread.
class StreamWriter {
 public:
  virtual ~StreamWriter() = default;
  // Queues `chunk` for the client; false once the client has gone (stop producing).
  virtual bool write(std::string chunk) = 0;
  virtual bool open() const = 0;
  virtual void close() = 0;
};

struct Reply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  Headers headers;  // extra response headers

  // Sent after this long; the core waits on a timer, never on a thread.
  std::chrono::milliseconds delay{0};
  // Forward the request instead of answering it; status/body are ignored.
  std::optional<ProxyTarget> proxy_to;
  // The reply is not ready yet: the core calls `deferred` once with a sink and sends
  // whatever reaches the sink. Lets a handler wait on other work without a thread.
  std::function<void(ReplySink)> deferred;
  // A streamed body: the core sends the status and headers (no length; the connection
  // is not reused), then calls `stream` once with the writer of the body.
  std::function<void(std::shared_ptr<StreamWriter>)> stream;
  // Called once with the status actually sent (the upstream's, for proxy_to), when
  // the reply is handed to the socket. For metrics of replies the handler cannot see.
  std::function<void(int status)> on_sent;

  static Reply json(int status, std::string body);
  static Reply text(int status, std::string body,
                    std::string content_type = "text/plain; charset=utf-8");
};

using Handler = std::function<Reply(const Request&)>;

struct ServerOptions {
  std::string host = "0.0.0.0";
  int port = 0;     // 0 = any free port (see Server::port())
  int threads = 0;  // 0 = hardware threads
  size_t body_limit = 64u << 20;
  std::chrono::seconds idle_timeout{60};  // keep-alive connections idle longer are closed
  // On stop, requests still running after this long are abandoned.
  std::chrono::milliseconds drain_limit{1500};
  // Called (on a server thread, after its last reply) with Request::connection when a
  // client connection is gone: closed by either side or timed out. Must not block.
  std::function<void(unsigned long long connection)> on_disconnect;
};

class Server {
 public:
  Server(ServerOptions options, Handler handler);
  ~Server();  // stops and joins
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, listens and starts the threads. Throws biodev::Error when the address
  // cannot be bound.
  void start();
  int port() const;             // the bound port, after start()
  std::string address() const;  // "0.0.0.0:8000"

  // Begins a graceful stop: no new connections; idle keep-alive connections close;
  // in-flight requests finish (pending delays are cut short) and their connections
  // close after the reply. Thread-safe; returns at once.
  void stop();
  // Blocks until the threads have exited (after stop(), or a signal with
  // stop_on_signals()).
  void wait();
  // SIGINT/SIGTERM call stop(). Call before start().
  void stop_on_signals();

 private:
  friend class Session;  // server.cpp's connection type
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Runs `server` the way `biodev serve <name>` does: SIGINT/SIGTERM stop it, one line
// "<banner> listening on http://<address>" goes to stderr, and the call blocks until
// the server has stopped. Returns the exit code: 0 after a signal, 1 when the address
// cannot be bound (the reason is logged).
int serve_until_signal(Server& server, std::string_view banner);

// One line to stderr, "[time] [serve] [level] message": startup, shutdown, errors.
void log_info(std::string_view message);
void log_error(std::string_view message);

// Threads to use for a `threads` setting of 0: the hardware threads, at least 1.
int default_threads();

// Reads a positive integer env var (the server knobs share this); `fallback` when unset.
// Throws UsageError naming the variable when it is set but not a number in [lo, hi].
long long env_int(const char* name, long long fallback, long long lo, long long hi);

}  // namespace biodev::serve
