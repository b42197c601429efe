// TLS to the engine. Each connection is a pump on one shared I/O thread: the TLS stream
// on one side, one end of a socket pair on the other, bytes copied both ways. A
// half-close from biodev (exec's stdin ended) becomes a TCP half-close, which the
// engine reads as the end of input; the engine's close ends the local side.
#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <boost/asio/ssl.hpp>
#include <future>
#include <mutex>
#include <thread>

#include "docker/dial.h"
#include "docker/errors.h"
#include "util/asio.h"

namespace biodev::docker {

namespace {

namespace ssl = net::ssl;
using error_code = boost::system::error_code;
using tcp = net::ip::tcp;

// The I/O thread every TLS connection of the process shares; never stopped (it owns no
// resource a process exit must release).
net::io_context& pump_context() {
  static net::io_context* ioc = [] {
    auto* c = new net::io_context(1);
    std::thread([c] {
      auto guard = net::make_work_guard(*c);
      c->run();
    }).detach();
    return c;
  }();
  return *ioc;
}

[[noreturn]] void unusable(const std::string& message) {
  throw EngineError(ErrorKind::kUnreachable, 0, message);
}

class Pump : public std::enable_shared_from_this<Pump> {
 public:
  Pump(ssl::context& ctx) : tls(pump_context(), ctx), local(pump_context()) {}
  ssl::stream<tcp::socket> tls;
  net::local::stream_protocol::socket local;

  void start() {
    to_local();
    to_engine();
  }
  void close() {
    error_code ignored;
    local.close(ignored);
    tls.next_layer().close(ignored);
  }
  // The TLS error that ended the engine's side, "" for a clean close. In TLS 1.3 the
  // engine judges the client certificate after the handshake: its alert arrives here.
  std::string ended_by() {
    std::lock_guard lock(mutex_);
    return ended_by_;
  }

 private:
  void to_local() {
    tls.async_read_some(net::buffer(down_), [self = shared_from_this()](error_code ec, size_t n) {
      if (ec) {  // the engine closed (with or without close_notify), or refused us
        if (ec != net::error::eof && ec != ssl::error::stream_truncated) {
          std::lock_guard lock(self->mutex_);
          self->ended_by_ = ec.message();
        }
        error_code ignored;
        self->local.shutdown(net::socket_base::shutdown_send, ignored);
        return;
      }
      net::async_write(self->local, net::buffer(self->down_.data(), n),
                       [self](error_code ec, size_t) {
                         if (ec) return self->close();
                         self->to_local();
                       });
    });
  }
  void to_engine() {
    local.async_read_some(net::buffer(up_), [self = shared_from_this()](error_code ec, size_t n) {
      if (ec) {  // biodev is done writing: a TCP half-close tells the engine
        error_code ignored;
        self->tls.next_layer().shutdown(net::socket_base::shutdown_send, ignored);
        return;
      }
      net::async_write(self->tls, net::buffer(self->up_.data(), n), [self](error_code ec, size_t) {
        if (ec) return self->close();
        self->to_engine();
      });
    });
  }

  std::array<char, 16 * 1024> down_{};
  std::array<char, 16 * 1024> up_{};
  std::mutex mutex_;
  std::string ended_by_;
};

bool is_ip(const std::string& host) {
  error_code ec;
  net::ip::make_address(host, ec);
  return !ec;
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
std::string handshake_failure(const Endpoint& ep, SSL* ssl, const error_code& ec) {
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
  return refusal(t, ec.message());
}

class TlsDialer final : public Dialer {
 public:
  explicit TlsDialer(Endpoint ep) : ep_(std::move(ep)), ctx_(ssl::context::tls_client) { load(); }

  Dialed dial(std::chrono::milliseconds timeout) override;
  bool ping_new_connections() const override { return true; }

 private:
  void load();
  std::string connect(Pump& pump, std::chrono::milliseconds timeout);

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

// Resolves, connects and shakes hands on the pump's thread; "" on success, else why not.
std::string TlsDialer::connect(Pump& pump, std::chrono::milliseconds timeout) {
  SSL* ssl = pump.tls.native_handle();
  if (is_ip(ep_.host)) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), ep_.host.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl, ep_.host.c_str());
    SSL_set1_host(ssl, ep_.host.c_str());
  }
  auto result = std::make_shared<std::promise<std::string>>();
  auto resolver = std::make_shared<tcp::resolver>(pump_context());
  auto timer = std::make_shared<net::steady_timer>(pump_context(), timeout);
  timer->async_wait([&pump, resolver](error_code ec) {
    if (ec) return;  // cancelled: finished in time
    resolver->cancel();
    error_code ignored;
    pump.tls.next_layer().close(ignored);
  });
  auto finish = [result, timer](std::string why) {
    timer->cancel();
    result->set_value(std::move(why));
  };
  resolver->async_resolve(
      ep_.host, ep_.port, [this, &pump, finish, ssl, resolver](error_code ec, auto endpoints) {
        if (ec) return finish(fmt::format("cannot resolve {}: {}", ep_.host, ec.message()));
        net::async_connect(pump.tls.next_layer(), endpoints,
                           [this, &pump, finish, ssl](error_code ec, auto&&) {
                             if (ec) return finish(ec.message());
                             pump.tls.async_handshake(
                                 ssl::stream_base::client, [this, finish, ssl](error_code ec) {
                                   finish(ec ? handshake_failure(ep_, ssl, ec) : "");
                                 });
                           });
      });
  std::string why = result->get_future().get();
  if (why.empty()) return why;
  if (timer->expiry() <= std::chrono::steady_clock::now())
    return fmt::format("no answer within {} ms", timeout.count());
  return why;
}

Dialed TlsDialer::dial(std::chrono::milliseconds timeout) {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
    unusable(fmt::format("cannot make a socket pair: {}", std::strerror(errno)));
  auto pump = std::make_shared<Pump>(ctx_);
  pump->local.assign(net::local::stream_protocol(), pair[0]);
  std::string why = connect(*pump, timeout);
  if (!why.empty()) {
    ::close(pair[1]);
    net::post(pump_context(), [pump] { pump->close(); });
    unusable(
        fmt::format("cannot reach the Docker engine at {} over TLS: {}", ep_.to_string(), why));
  }
  net::post(pump_context(), [pump] { pump->start(); });
  return {pair[1], [pump, this] {
            std::string why = pump->ended_by();
            return why.empty() ? why : refusal(*ep_.tls, why);
          }};
}

}  // namespace

std::unique_ptr<Dialer> make_tls_dialer(const Endpoint& endpoint) {
  return std::make_unique<TlsDialer>(endpoint);
}

}  // namespace biodev::docker
