// TLS to the engine. Boost.Asio's SSL context (over OpenSSL) holds the files; each
// connection is a TCP connection with its own OpenSSL session and a pump thread that
// copies bytes between it and one end of a socket pair, the other end going to Beast.
// A half-close from biodev (an exec's stdin ended) is sent as TLS's close_notify and a
// TCP half-close, as the docker CLI sends it: Go engines and OpenSSL fronts (socat,
// stunnel, nginx) then still answer; a bare TCP half-close makes OpenSSL fronts fail.
#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <boost/asio/ssl.hpp>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <system_error>
#include <thread>

#include "docker/dial.h"
#include "docker/engine_config.h"
#include "docker/errors.h"
#include "util/asio.h"

namespace biodev::docker {

namespace {

namespace ssl = net::ssl;
using error_code = boost::system::error_code;
using Clock = std::chrono::steady_clock;

[[noreturn]] void unusable(const std::string& message) {
  throw EngineError(ErrorKind::kUnreachable, 0, message);
}

std::string openssl_error() {
  unsigned long e = ERR_get_error();
  if (!e) return "connection closed";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  const char* reason = ERR_reason_error_string(e);
  return reason ? reason : buf;
}

// One connection's session and its pump. The pump thread alone uses the session once
// the handshake is done; `ended_by` is what it tells others.
struct Session {
  SSL* ssl = nullptr;
  int tcp = -1;
  int local = -1;  // our end of the pair
  std::mutex mutex;
  std::string ended_by;  // the TLS error that ended the engine's side, "" for a clean close
  ~Session() {
    if (ssl) SSL_free(ssl);
    if (tcp >= 0) ::close(tcp);
    if (local >= 0) ::close(local);
  }
  std::string error() {
    std::lock_guard lock(mutex);
    return ended_by;
  }
};

// Copies both ways until both directions are done. Non-blocking session and sockets,
// one poll() over both: what SSL wants (read or write) decides what is polled for.
class Pump {
 public:
  explicit Pump(std::shared_ptr<Session> s) : s_(std::move(s)) {}
  void run();

 private:
  bool from_engine();
  bool to_local();
  bool from_local();
  bool to_engine();
  void end_engine_side(bool clean);
  short want_ = 0;  // POLLIN/POLLOUT the session waits for on tcp
  short local_want_ = 0;
  std::shared_ptr<Session> s_;
  std::array<char, 16 * 1024> down_{}, up_{};
  size_t down_len_ = 0, down_off_ = 0, up_len_ = 0, up_off_ = 0;
  bool engine_done_ = false, local_done_ = false, shutdown_sent_ = false, broken_ = false;
};

void Pump::end_engine_side(bool clean) {
  if (!clean) {
    std::lock_guard lock(s_->mutex);
    s_->ended_by = openssl_error();
  }
  engine_done_ = true;
}

// SSL_read into down_ when it is empty. False when it would block.
bool Pump::from_engine() {
  if (engine_done_ || down_len_ > 0) return false;
  int n = SSL_read(s_->ssl, down_.data(), static_cast<int>(down_.size()));
  if (n > 0) {
    down_len_ = static_cast<size_t>(n);
    down_off_ = 0;
    return true;
  }
  int err = SSL_get_error(s_->ssl, n);
  if (err == SSL_ERROR_WANT_READ)
    want_ |= POLLIN;
  else if (err == SSL_ERROR_WANT_WRITE)
    want_ |= POLLOUT;
  else
    end_engine_side(err == SSL_ERROR_ZERO_RETURN ||
                    (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0));
  return engine_done_;
}

bool Pump::to_local() {
  if (down_len_ == 0) {
    if (engine_done_ && !local_done_ && !broken_) {
      ::shutdown(s_->local, SHUT_WR);  // the engine is done: so is the stream biodev reads
      broken_ = true;
    }
    return false;
  }
  ssize_t n = ::send(s_->local, down_.data() + down_off_, down_len_, MSG_NOSIGNAL);
  if (n < 0) {
    if (errno == EAGAIN)
      local_want_ |= POLLOUT;
    else
      local_done_ = engine_done_ = true, down_len_ = 0;  // biodev closed its end: drop the rest
    return false;
  }
  down_off_ += static_cast<size_t>(n);
  down_len_ -= static_cast<size_t>(n);
  return true;
}

bool Pump::from_local() {
  if (local_done_ || up_len_ > 0) return false;
  ssize_t n = ::recv(s_->local, up_.data(), up_.size(), 0);
  if (n < 0) {
    if (errno == EAGAIN)
      local_want_ |= POLLIN;
    else
      local_done_ = true;
    return false;
  }
  if (n == 0) local_done_ = true;
  up_len_ = static_cast<size_t>(n);
  up_off_ = 0;
  return true;
}

// SSL_write of up_; once biodev is done writing, close_notify and a TCP half-close.
bool Pump::to_engine() {
  if (up_len_ == 0) {
    if (!local_done_ || shutdown_sent_) return false;
    int r = SSL_shutdown(s_->ssl);
    if (r < 0 && SSL_get_error(s_->ssl, r) == SSL_ERROR_WANT_WRITE) {
      want_ |= POLLOUT;
      return false;
    }
    ::shutdown(s_->tcp, SHUT_WR);
    shutdown_sent_ = true;
    return true;
  }
  int n = SSL_write(s_->ssl, up_.data() + up_off_, static_cast<int>(up_len_));
  if (n > 0) {
    up_off_ += static_cast<size_t>(n);
    up_len_ -= static_cast<size_t>(n);
    return true;
  }
  int err = SSL_get_error(s_->ssl, n);
  if (err == SSL_ERROR_WANT_WRITE)
    want_ |= POLLOUT;
  else if (err == SSL_ERROR_WANT_READ)
    want_ |= POLLIN;
  else
    up_len_ = 0, local_done_ = shutdown_sent_ = true;  // the engine is gone
  return false;
}

void Pump::run() {
  while (!(engine_done_ && down_len_ == 0 && (local_done_ || broken_))) {
    want_ = local_want_ = 0;
    bool moved = false;
    moved |= from_engine();
    moved |= to_local();
    moved |= from_local();
    moved |= to_engine();
    // Bytes OpenSSL holds already decrypted are read without waiting, once there is room.
    if (moved || (down_len_ == 0 && !engine_done_ && SSL_pending(s_->ssl) > 0)) continue;
    std::array<pollfd, 2> fds{pollfd{s_->tcp, want_, 0}, pollfd{s_->local, local_want_, 0}};
    if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) break;
  }
}

// The engine refused the connection, most often over the client certificate.
std::string refusal(const TlsFiles& t, const std::string& why) {
  if (t.cert.empty())
    return fmt::format(
        "{}; the engine may want a client certificate: put cert.pem and key.pem in {} ({})", why,
        t.dir, t.dir_from);
  return fmt::format("{}; the engine refused the client certificate {} ({})", why, t.cert,
                     t.dir_from);
}

// What went wrong in a handshake, in terms of the files the user controls.
std::string handshake_failure(const Endpoint& ep, SSL* ssl, const std::string& why) {
  const TlsFiles& t = *ep.tls;
  long verify = SSL_get_verify_result(ssl);
  if (t.verify && verify != X509_V_OK) {
    if (verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH)
      return fmt::format(
          "the engine's certificate is not valid for {} (its names do not include it)", ep.host);
    if (verify == X509_V_ERR_CERT_HAS_EXPIRED) return "the engine's certificate has expired";
    return fmt::format("the engine's certificate does not verify against {} ({})", t.ca,
                       X509_verify_cert_error_string(verify));
  }
  return refusal(t, why);
}

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

class TlsDialer final : public Dialer {
 public:
  explicit TlsDialer(Endpoint ep) : ep_(std::move(ep)), ctx_(ssl::context::tls_client) { load(); }

  Dialed dial(std::chrono::milliseconds timeout) override;
  bool ping_new_connections() const override { return true; }

 private:
  void load();
  int connect_tcp(Clock::time_point deadline);
  void handshake(Session& s, Clock::time_point deadline);
  [[noreturn]] void fail(const std::string& why) const {
    unusable(
        fmt::format("cannot reach the Docker engine at {} over TLS: {}", ep_.to_string(), why));
  }

  Endpoint ep_;
  ssl::context ctx_;
};

void TlsDialer::load() {
  const TlsFiles& t = *ep_.tls;
  auto use = [&](const std::string& file, const char* what, auto&& call) {
    error_code ec;
    call(ec);
    if (ec)
      unusable(fmt::format("cannot use {} as the {} for {} ({}): {}", file, what, ep_.to_string(),
                           t.dir_from, ec.message()));
  };
  ctx_.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  if (t.verify) {
    use(t.ca, "CA certificate", [&](error_code& ec) { ctx_.load_verify_file(t.ca, ec); });
    ctx_.set_verify_mode(ssl::verify_peer);
  } else {
    ctx_.set_verify_mode(ssl::verify_none);
  }
  if (t.cert.empty()) return;
  use(t.cert, "client certificate",
      [&](error_code& ec) { ctx_.use_certificate_chain_file(t.cert, ec); });
  use(t.key, "client key",
      [&](error_code& ec) { ctx_.use_private_key_file(t.key, ssl::context::pem, ec); });
  if (SSL_CTX_check_private_key(ctx_.native_handle()) != 1)
    unusable(fmt::format("{} is not the key of {} ({})", t.key, t.cert, t.dir_from));
}

// Resolving and connecting, both bounded by the deadline.
int TlsDialer::connect_tcp(Clock::time_point deadline) {
  net::io_context ioc;
  net::ip::tcp::resolver resolver(ioc);
  beast::tcp_stream stream(ioc);
  std::string why = "no answer";
  bool connected = false;
  resolver.async_resolve(ep_.host, ep_.port, [&](error_code ec, auto results) {
    if (ec) {
      why = fmt::format("cannot resolve {}: {}", ep_.host, ec.message());
      return;
    }
    stream.expires_at(deadline);
    stream.async_connect(results, [&](error_code ec, auto&&) {
      connected = !ec;
      if (ec) why = ec == beast::error::timeout ? "no answer" : ec.message();
    });
  });
  ioc.run_until(deadline);
  if (!connected) fail(why);
  return stream.release_socket().release();
}

void TlsDialer::handshake(Session& s, Clock::time_point deadline) {
  s.ssl = SSL_new(ctx_.native_handle());
  if (!s.ssl) fail(openssl_error());
  SSL_set_fd(s.ssl, s.tcp);
  if (is_ip_address(ep_.host)) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s.ssl), ep_.host.c_str());
  } else {
    SSL_set_tlsext_host_name(s.ssl, ep_.host.c_str());
    SSL_set1_host(s.ssl, ep_.host.c_str());
  }
  set_nonblocking(s.tcp);
  for (;;) {
    ERR_clear_error();
    int r = SSL_connect(s.ssl);
    if (r == 1) return;
    int err = SSL_get_error(s.ssl, r);
    if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE)
      fail(handshake_failure(ep_, s.ssl, openssl_error()));
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd p{s.tcp, static_cast<short>(err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT), 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) == 0)
      fail("no answer to the TLS handshake");
  }
}

Dialed TlsDialer::dial(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  auto session = std::make_shared<Session>();
  session->tcp = connect_tcp(deadline);
  handshake(*session, deadline);
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
    fail(fmt::format("cannot make a socket pair: {}", std::strerror(errno)));
  session->local = pair[0];
  set_nonblocking(session->local);
  try {
    std::thread([session] { Pump(session).run(); }).detach();
  } catch (const std::system_error& e) {
    ::close(pair[1]);
    fail(fmt::format("cannot start a thread for the connection: {}", e.what()));
  }
  return {pair[1], [session, this] {
            std::string why = session->error();
            return why.empty() ? why : refusal(*ep_.tls, why);
          }};
}

}  // namespace

std::unique_ptr<Dialer> make_tls_dialer(const Endpoint& endpoint) {
  return std::make_unique<TlsDialer>(endpoint);
}

}  // namespace biodev::docker
