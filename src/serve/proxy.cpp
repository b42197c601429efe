#include "serve/proxy.h"

#include <nlohmann/json.hpp>

#include "util/asio.h"

namespace biodev::serve {

namespace {

using tcp = net::ip::tcp;

// Hop-by-hop headers (RFC 9110 7.6.1) plus the ones Beast recomputes.
bool is_hop_header(std::string_view lower_name) {
  for (std::string_view h : {"connection", "keep-alive", "proxy-connection", "transfer-encoding",
                             "te", "trailer", "upgrade", "content-length"})
    if (lower_name == h) return true;
  return false;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// One forwarded request. Lives on its own strand; the deadline timer cancels whichever
// step is pending, so a dead or silent upstream costs a 504, never a stuck session.
class UpstreamCall : public std::enable_shared_from_this<UpstreamCall> {
 public:
  UpstreamCall(net::io_context& ioc, ProxyTarget to, ReplySink done)
      : strand_(net::make_strand(ioc)),
        resolver_(strand_),
        stream_(strand_),
        deadline_(strand_),
        to_(std::move(to)),
        done_(std::move(done)) {
    parser_.body_limit(64u << 20);
  }

  // Copies what it needs from `req` now (it is only valid during the call) and runs
  // the rest on the call's strand.
  void start(const Request& req) {
    build(req);
    net::post(strand_, [self = shared_from_this()] { self->begin(); });
  }

 private:
  void begin() {
    deadline_.expires_after(to_.timeout);
    deadline_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->finished_) return;
      self->timed_out_ = true;
      self->resolver_.cancel();
      beast::error_code ignored;
      self->stream_.socket().close(ignored);
    });
    resolver_.async_resolve(to_.host, std::to_string(to_.port),
                            [self = shared_from_this()](beast::error_code ec, auto results) {
                              if (ec) return self->fail(ec, "resolving");
                              self->connect(results);
                            });
  }

  void build(const Request& req) {
    auto verb = http::string_to_verb(req.method);
    if (verb == http::verb::unknown)
      req_.method_string(req.method);
    else
      req_.method(verb);
    if (verb == http::verb::head) parser_.skip(true);  // the answer has headers only
    req_.target(to_.target);
    req_.version(11);
    std::string forwarded_for;
    for (const auto& [name, value] : req.headers) {
      if (is_hop_header(name)) continue;
      if (name == "x-forwarded-for") {
        forwarded_for = value;
        continue;
      }
      req_.insert(name, value);
    }
    if (!req.client_ip.empty())
      forwarded_for += (forwarded_for.empty() ? "" : ", ") + req.client_ip;
    if (!forwarded_for.empty()) req_.set("X-Forwarded-For", forwarded_for);
    if (!req.header("host").empty()) req_.set("X-Forwarded-Host", req.header("host"));
    req_.set("X-Forwarded-Proto", "http");
    if (req_.find(http::field::host) == req_.end())
      req_.set(http::field::host, to_.host + ":" + std::to_string(to_.port));
    req_.body() = req.body;
    req_.keep_alive(false);
    req_.prepare_payload();
  }

  void connect(const tcp::resolver::results_type& results) {
    stream_.async_connect(results, [self = shared_from_this()](beast::error_code ec, auto) {
      if (ec) return self->fail(ec, "connecting");
      http::async_write(self->stream_, self->req_, [self](beast::error_code ec, size_t) {
        if (ec) return self->fail(ec, "sending");
        http::async_read(self->stream_, self->buffer_, self->parser_,
                         [self](beast::error_code ec, size_t) {
                           if (ec) return self->fail(ec, "reading the reply");
                           self->succeed();
                         });
      });
    });
  }

  void succeed() {
    auto& res = parser_.get();
    Reply r;
    r.status = static_cast<int>(res.result_int());
    r.content_type = std::string(res[http::field::content_type]);
    for (const auto& field : res) {
      std::string name = lower(field.name_string());
      if (is_hop_header(name) || name == "content-type" || name == "server") continue;
      r.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    r.body = std::move(res.body());
    finish(std::move(r));
  }

  void fail(beast::error_code ec, std::string_view step) {
    std::string upstream = to_.host + ":" + std::to_string(to_.port);
    nlohmann::json err = {{"upstream", upstream}};
    int status = 502;
    if (timed_out_) {
      status = 504;
      err["type"] = "gateway_timeout";
      err["message"] = "upstream " + upstream + " did not answer within " +
                       std::to_string(to_.timeout.count()) + "ms (" + std::string(step) + ")";
    } else {
      err["type"] = "bad_gateway";
      err["message"] = "upstream " + upstream + " failed while " + std::string(step) + ": " +
                       lower(ec.message());
    }
    finish(Reply::json(status, nlohmann::json{{"error", err}}.dump()));
  }

  void finish(Reply r) {
    if (finished_) return;
    finished_ = true;
    deadline_.cancel();
    beast::error_code ignored;
    stream_.socket().close(ignored);
    done_(std::move(r));
  }

  net::strand<net::io_context::executor_type> strand_;
  tcp::resolver resolver_;
  beast::tcp_stream stream_;
  net::steady_timer deadline_;
  ProxyTarget to_;
  ReplySink done_;
  http::request<http::string_body> req_;
  beast::flat_buffer buffer_;
  http::response_parser<http::string_body> parser_;
  bool finished_ = false;
  bool timed_out_ = false;
};

}  // namespace

void forward_request(net::io_context& ioc, const ProxyTarget& to, const Request& req,
                     ReplySink done) {
  std::make_shared<UpstreamCall>(ioc, to, std::move(done))->start(req);
}

}  // namespace biodev::serve
