#include "serve/server.h"

#include <condition_variable>
#include <csignal>
#include <deque>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "serve/proxy.h"
#include "util/asio.h"
#include "util/error.h"

namespace biodev::serve {

using tcp = net::ip::tcp;

std::string_view Request::path() const {
  return std::string_view(target).substr(0, target.find('?'));
}

std::string_view Request::query() const {
  size_t q = target.find('?');
  return q == std::string::npos ? std::string_view() : std::string_view(target).substr(q + 1);
}

std::string_view Request::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers)
    if (name == lower_name) return value;
  return {};
}

Reply Reply::json(int status, std::string body) {
  Reply r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Reply Reply::text(int status, std::string body, std::string content_type) {
  Reply r;
  r.status = status;
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  return r;
}

int default_threads() {
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

long long env_int(const char* name, long long fallback, long long lo, long long hi) {
  const char* raw = std::getenv(name);
  if (!raw || !*raw) return fallback;
  char* end = nullptr;
  long long v = std::strtoll(raw, &end, 10);
  if (*end != '\0' || v < lo || v > hi)
    throw UsageError(std::string(name) + "=" + raw + ": expected a whole number from " +
                     std::to_string(lo) + " to " + std::to_string(hi));
  return v;
}

namespace {

Reply error_reply(int status, std::string_view message) {
  nlohmann::json body = {{"error", {{"message", message}, {"type", "server_error"}}}};
  return Reply::json(status, body.dump());
}

}  // namespace

class Session;

// One io_context per thread, each run by exactly one thread: a session lives on one
// context, so it needs no strand and the reactor no cross-thread locking. Concrete
// executor types (not any_io_executor) keep the per-operation cost down; this is the
// gateway's hot path.
using Executor = net::io_context::executor_type;
using Socket = net::basic_stream_socket<tcp, Executor>;
using Timer = net::basic_waitable_timer<std::chrono::steady_clock,
                                        net::wait_traits<std::chrono::steady_clock>, Executor>;
using Acceptor = net::basic_socket_acceptor<tcp, Executor>;

struct Server::Impl {
  ServerOptions opt;
  Handler handler;
  // Declared before the contexts: sessions still queued in a context unregister
  // themselves from here while it is destroyed.
  std::mutex mu;  // guards sessions, running and reaper
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions;
  std::condition_variable done_cv;
  int running = 0;  // threads still inside run()
  std::thread reaper;

  std::vector<std::unique_ptr<net::io_context>> contexts;
  std::optional<Acceptor> acceptor;
  std::optional<net::basic_signal_set<Executor>> signals;
  std::vector<std::thread> threads;
  // Keep idle contexts running until stop(); released there.
  std::vector<net::executor_work_guard<Executor>> keep_running;
  std::atomic<bool> stopping{false};
  size_t next_context = 0;  // round-robin for accepted connections (acceptor's thread only)
  int bound_port = 0;
  std::atomic<unsigned long long> connections{0};  // ids handed to sessions

  Impl(ServerOptions o, Handler h) : opt(std::move(o)), handler(std::move(h)) {
    int n = opt.threads > 0 ? opt.threads : default_threads();
    for (int i = 0; i < n; ++i) contexts.push_back(std::make_unique<net::io_context>(1));
    acceptor.emplace(contexts[0]->get_executor());
  }
  void accept();
  void stop();
  void stop_contexts() {
    for (auto& c : contexts) c->stop();
  }
};

// One client connection: read a request, produce the reply (now, later, or from an
// upstream), write it, repeat while keep-alive. Replies that arrive from other threads
// are posted to the session's context first.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Socket&& socket, Server::Impl& srv)
      : socket_(std::move(socket)),
        srv_(srv),
        delay_timer_(socket_.get_executor()),
        idle_timer_(socket_.get_executor()) {}

  ~Session() {
    {
      std::lock_guard lock(srv_.mu);
      srv_.sessions.erase(this);
    }
    if (srv_.opt.on_disconnect) srv_.opt.on_disconnect(req_.connection);
  }

  void start() {
    {
      std::lock_guard lock(srv_.mu);
      srv_.sessions.emplace(this, weak_from_this());
    }
    beast::error_code ec;
    auto peer = socket_.remote_endpoint(ec);
    if (!ec) req_.client_ip = peer.address().to_string();
    req_.connection = ++srv_.connections;
    net::dispatch(socket_.get_executor(), [self = shared_from_this()] {
      if (self->srv_.stopping) return self->close();
      self->arm_idle_timer(self->srv_.opt.idle_timeout);
      self->read();
    });
  }

  // Graceful stop: idle connections close now; a request in flight gets its reply
  // (a pending delay is cut short) and then the connection closes.
  void shutdown() {
    net::post(socket_.get_executor(), [self = shared_from_this()] {
      if (!self->busy_ || self->streaming_)
        self->close();
      else
        self->delay_timer_.cancel();
    });
  }

 private:
  // One timer for the connection's life, re-armed only when it fires: cheaper than a
  // deadline per read, which would cost two timer-queue updates per request.
  void arm_idle_timer(std::chrono::steady_clock::duration after) {
    idle_timer_.expires_after(after);
    idle_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || !self->socket_.is_open()) return;
      auto idle = std::chrono::steady_clock::now() - self->last_active_;
      const auto limit = self->srv_.opt.idle_timeout;
      if (self->busy_) return self->arm_idle_timer(limit);
      if (idle < limit) return self->arm_idle_timer(limit - idle);
      self->close();
    });
  }

  void read() {
    busy_ = false;
    parser_.emplace();
    parser_->body_limit(srv_.opt.body_limit);
    http::async_read(socket_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, size_t) {
    if (ec == http::error::body_limit) return write_final(error_reply(413, "body too large"));
    if (ec == http::error::end_of_stream || ec) return close();
    busy_ = true;
    auto& msg = parser_->get();
    version_ = msg.version();
    keep_alive_ = msg.keep_alive();
    fill_request(msg);
    Reply reply;
    try {
      reply = srv_.handler(req_);
    } catch (const std::exception& e) {
      reply = error_reply(500, std::string("internal error: ") + e.what());
    }
    deliver(std::move(reply));
  }

  // Copies the Beast message into the reused Request, keeping string capacity.
  void fill_request(http::request<http::string_body>& msg) {
    req_.method.assign(msg.method_string());
    req_.target.assign(msg.target());
    size_t n = 0;
    for (const auto& field : msg) {
      if (n == req_.headers.size()) req_.headers.emplace_back();
      auto& [name, value] = req_.headers[n++];
      name.assign(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      value.assign(field.value());
    }
    req_.headers.resize(n);
    req_.body = std::move(msg.body());
  }

  void deliver(Reply reply) {
    if (reply.on_sent) on_sent_ = std::move(reply.on_sent);
    if (reply.stream) return start_stream(std::move(reply));
    if (reply.deferred) {
      auto deferred = std::move(reply.deferred);
      return run_guarded([&] { deferred(make_sink()); });
    }
    if (reply.proxy_to) {
      ProxyTarget to = std::move(*reply.proxy_to);
      auto& ioc = socket_.get_executor().context();
      return run_guarded([&] { forward_request(ioc, to, req_, make_sink()); });
    }
    if (reply.delay.count() > 0 && !srv_.stopping) {
      pending_ = std::move(reply);
      delay_timer_.expires_after(pending_.delay);
      delay_timer_.async_wait([self = shared_from_this()](beast::error_code) {
        self->write(std::move(self->pending_));
      });
      return;
    }
    write(std::move(reply));
  }

  template <class Fn>
  void run_guarded(Fn&& fn) {
    try {
      fn();
    } catch (const std::exception& e) {
      write(error_reply(500, std::string("internal error: ") + e.what()));
    }
  }

  // A sink that hops back onto this session's context. The tracked executor keeps
  // run() from returning while a reply is still owed to this connection.
  ReplySink make_sink() {
    auto work = net::prefer(socket_.get_executor(), net::execution::outstanding_work.tracked);
    return [self = shared_from_this(), work](Reply r) {
      net::post(work, [self, r = std::move(r)]() mutable { self->deliver(std::move(r)); });
    };
  }

  // The body of a streamed reply, written in order from a queue that only the
  // session's context touches. Holding the writer holds the session.
  class Stream : public StreamWriter, public std::enable_shared_from_this<Stream> {
   public:
    explicit Stream(std::shared_ptr<Session> session) : session_(std::move(session)) {}
    ~Stream() override {
      net::post(session_->socket_.get_executor(), [s = session_] { s->close(); });
    }
    bool write(std::string chunk) override {
      if (!open_) return false;
      net::post(session_->socket_.get_executor(), [self = shared_from_this(), c = std::move(chunk)]() mutable {
        self->queue_.push_back(std::move(c));
        if (!self->writing_) self->pump();
      });
      return true;
    }
    bool open() const override { return open_; }
    void close() override {
      net::post(session_->socket_.get_executor(), [self = shared_from_this()] {
        self->closing_ = true;
        if (!self->writing_) self->end();
      });
    }
    void end() {
      open_ = false;
      session_->close();
    }

   private:
    friend class Session;
    void pump() {
      if (queue_.empty()) {
        writing_ = false;
        if (closing_) end();
        return;
      }
      writing_ = true;
      net::async_write(session_->socket_, net::buffer(queue_.front()),
                       [self = shared_from_this()](beast::error_code ec, size_t) {
                         self->queue_.pop_front();
                         self->session_->last_active_ = std::chrono::steady_clock::now();
                         if (ec) return self->end();
                         self->pump();
                       });
    }
    std::shared_ptr<Session> session_;
    std::atomic<bool> open_{true};
    std::deque<std::string> queue_;
    bool writing_ = false;
    bool closing_ = false;
  };

  void start_stream(Reply r) {
    if (on_sent_) std::exchange(on_sent_, nullptr)(r.status);
    streaming_ = true;
    auto head = std::make_shared<http::response<http::empty_body>>();
    head->version(version_);
    head->result(static_cast<unsigned>(r.status));
    head->set(http::field::server, "biodev");
    if (!r.content_type.empty()) head->set(http::field::content_type, r.content_type);
    for (auto& [name, value] : r.headers) head->insert(name, value);
    head->keep_alive(false);
    auto serializer = std::make_shared<http::response_serializer<http::empty_body>>(*head);
    auto writer = std::make_shared<Stream>(shared_from_this());
    http::async_write_header(
        socket_, *serializer,
        [self = shared_from_this(), head, serializer, writer, fn = std::move(r.stream)](beast::error_code ec, size_t) {
          if (ec) return writer->end();
          self->watch_peer(writer);
          try {
            fn(writer);
          } catch (const std::exception& e) {
            log_error(std::string("stream: ") + e.what());
            writer->end();
          }
        });
  }

  // While a reply streams, the client only ever closes: a read that ends says so.
  void watch_peer(std::shared_ptr<Stream> writer) {
    socket_.async_read_some(net::buffer(peek_), [self = shared_from_this(), writer](beast::error_code ec, size_t) {
      if (ec) return writer->end();
      self->watch_peer(writer);
    });
  }

  void write(Reply r) {
    bool keep = keep_alive_ && !srv_.stopping;
    send(std::move(r), keep);
  }

  void write_final(Reply r) {
    busy_ = true;
    version_ = 11;
    send(std::move(r), false);
  }

  void send(Reply r, bool keep) {
    if (on_sent_) std::exchange(on_sent_, nullptr)(r.status);
    auto& res = res_.emplace();
    res.version(version_);
    res.result(static_cast<unsigned>(r.status));
    res.set(http::field::server, "biodev");
    if (!r.content_type.empty()) res.set(http::field::content_type, r.content_type);
    for (auto& [name, value] : r.headers) res.insert(name, value);
    res.body() = std::move(r.body);
    res.keep_alive(keep);
    res.prepare_payload();
    if (req_.method == "HEAD") res.body().clear();  // keeps the computed Content-Length
    http::async_write(socket_, res,
                      [self = shared_from_this(), keep](beast::error_code ec, size_t) {
                        self->last_active_ = std::chrono::steady_clock::now();
                        if (ec || !keep) return self->close();
                        self->read();
                      });
  }

  void close() {
    beast::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    socket_.close(ec);
    delay_timer_.cancel();
    idle_timer_.cancel();
  }

  Socket socket_;
  Server::Impl& srv_;
  Timer delay_timer_;
  Timer idle_timer_;
  std::chrono::steady_clock::time_point last_active_ = std::chrono::steady_clock::now();
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::string_body>> res_;
  Request req_;
  Reply pending_;
  std::function<void(int)> on_sent_;
  unsigned version_ = 11;
  bool keep_alive_ = false;
  bool busy_ = false;  // between reading a request and finishing its reply
  bool streaming_ = false;
  char peek_[512];
};

void Server::Impl::accept() {
  auto& target = *contexts[next_context++ % contexts.size()];
  acceptor->async_accept(target, [this](beast::error_code ec, Socket socket) {
    if (stopping || ec == net::error::operation_aborted) return;
    if (!ec) {
      socket.set_option(tcp::no_delay(true), ec);
      std::make_shared<Session>(std::move(socket), *this)->start();
    } else {
      // Out of descriptors and the like: back off instead of spinning on accept.
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    accept();
  });
}

void Server::Impl::stop() {
  if (stopping.exchange(true)) return;
  net::post(*contexts[0], [this] {
    beast::error_code ec;
    acceptor->close(ec);
    if (signals) signals->cancel(ec);
    std::vector<std::shared_ptr<Session>> live;
    {
      std::lock_guard lock(mu);
      for (auto& [ptr, weak] : sessions)
        if (auto s = weak.lock()) live.push_back(std::move(s));
    }
    for (auto& s : live) s->shutdown();
    for (auto& guard : keep_running) guard.reset();
  });
  // The drain limit is enforced from outside the contexts: a timer inside one would
  // itself keep run() from returning.
  std::lock_guard lock(mu);
  if (reaper.joinable()) return;
  reaper = std::thread([this] {
    std::unique_lock lock(mu);
    if (!done_cv.wait_for(lock, opt.drain_limit, [this] { return running == 0; })) stop_contexts();
  });
}

Server::Server(ServerOptions options, Handler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

Server::~Server() {
  if (!impl_->threads.empty()) {
    stop();
    wait();
  }
}

void Server::start() {
  auto& s = *impl_;
  beast::error_code ec;
  auto addr = net::ip::make_address(s.opt.host, ec);
  if (ec) throw Error(ExitCode::kUsage, "bad listen address \"" + s.opt.host + "\"");
  tcp::endpoint ep(addr, static_cast<unsigned short>(s.opt.port));
  auto& acceptor = *s.acceptor;
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    throw Error(ExitCode::kFailed, "cannot listen on " + s.opt.host + ":" +
                                       std::to_string(s.opt.port) + ": " + ec.message());
  s.bound_port = acceptor.local_endpoint().port();
  s.accept();
  s.running = static_cast<int>(s.contexts.size());
  for (auto& ctx : s.contexts) s.keep_running.push_back(net::make_work_guard(*ctx));
  for (auto& ctx : s.contexts)
    s.threads.emplace_back([&s, &ctx = *ctx] {
      ctx.run();
      std::lock_guard lock(s.mu);
      if (--s.running == 0) s.done_cv.notify_all();
    });
}

int Server::port() const { return impl_->bound_port; }

std::string Server::address() const {
  return impl_->opt.host + ":" + std::to_string(impl_->bound_port);
}

void Server::stop() { impl_->stop(); }

void Server::wait() {
  for (auto& t : impl_->threads)
    if (t.joinable()) t.join();
  std::unique_lock lock(impl_->mu);
  if (impl_->reaper.joinable()) {
    std::thread reaper = std::move(impl_->reaper);
    lock.unlock();
    reaper.join();
  }
}

void Server::stop_on_signals() {
  auto& s = *impl_;
  s.signals.emplace(s.contexts[0]->get_executor(), SIGINT, SIGTERM);
  s.signals->async_wait([&s](beast::error_code ec, int) {
    if (!ec) s.stop();
  });
}

namespace {

spdlog::logger& serve_log() {
  // Not registered globally: the CLI owns spdlog's default logger and its settings.
  static spdlog::logger log("serve", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  return log;
}

}  // namespace

void log_info(std::string_view message) { serve_log().info("{}", message); }
void log_error(std::string_view message) { serve_log().error("{}", message); }

int serve_until_signal(Server& server, std::string_view banner) {
  server.stop_on_signals();
  try {
    server.start();
  } catch (const Error& e) {
    log_error(e.what());
    return static_cast<int>(e.code());
  }
  log_info(std::string(banner) + " listening on http://" + server.address());
  server.wait();
  log_info(std::string(banner) + " stopped");
  return 0;
}

}  // namespace biodev::serve
