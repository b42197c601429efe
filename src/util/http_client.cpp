#include "util/http_client.h"

#include <exception>
#include <optional>

#include "util/asio.h"
#include "util/strings.h"

namespace biodev::util {

namespace {

using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

// Large enough for any Qdrant or S3 control reply; a runaway peer is cut off.
constexpr size_t kMaxResponseBytes = 64 * 1024 * 1024;

bool has_header(const HttpHeaders& headers, std::string_view name) {
  for (const auto& [k, v] : headers)
    if (beast::iequals(k, name)) return true;
  return false;
}

std::string host_field(const std::string& host, int port) {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

http::request<http::string_body> to_message(const std::string& host, int port, const HttpRequest& request) {
  http::request<http::string_body> msg;
  msg.method_string(request.method);
  msg.target(request.target);
  msg.version(11);
  if (!has_header(request.headers, "host")) msg.set(http::field::host, host_field(host, port));
  for (const auto& [k, v] : request.headers) msg.insert(k, v);
  bool needs_length = !request.body.empty() || request.method == "PUT" || request.method == "POST";
  if (needs_length && !has_header(request.headers, "content-length")) msg.content_length(request.body.size());
  if (!has_header(request.headers, "connection")) msg.set(http::field::connection, "close");
  msg.body() = request.body;
  return msg;
}

HttpResponse from_message(http::response<http::string_body>&& msg) {
  HttpResponse r;
  r.status = static_cast<int>(msg.result_int());
  r.reason = std::string(msg.reason());
  for (const auto& field : msg) r.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  r.body = std::move(msg.body());
  return r;
}

// "connection refused" while connecting reads "cannot connect: connection refused".
std::string failure(const boost::system::error_code& ec, const std::string& phase) {
  if (ec == http::error::end_of_stream || ec == http::error::partial_message || ec == net::error::eof)
    return phase == "waiting for the response" ? "connection closed before a complete reply"
                                               : "connection closed while " + phase;
  if (ec.category() == make_error_code(http::error::bad_version).category())
    return "not a valid HTTP reply (" + ec.message() + ")";
  if (phase == "connecting") return "cannot connect: " + describe(ec);
  return describe(ec) + " while " + phase;
}

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (beast::iequals(k, name)) return v;
  return {};
}

HttpResponse http_request(const std::string& host, int port, const HttpRequest& request,
                          std::chrono::milliseconds timeout) {
  const std::string where = request.method + " http://" + host_field(host, port) +
                            request.target.substr(0, request.target.find('?'));
  const auto deadline = Clock::now() + timeout;
  auto timed_out = [&](const std::string& phase) {
    return HttpError(where + ": timed out after " + std::to_string(timeout.count()) + "ms (" + phase + ")");
  };

  Resolved resolved = resolve(host, port, deadline);
  if (resolved.endpoints.empty()) {
    if (Clock::now() >= deadline) throw timed_out(resolved.error);
    throw HttpError(where + ": " + (resolved.error.empty() ? "no addresses for \"" + host + "\"" : resolved.error));
  }

  net::io_context ctx(1);
  tcp::socket socket(ctx);
  std::string phase = "connecting";
  std::optional<HttpResponse> result;
  std::optional<std::string> error;
  auto msg = to_message(host, port, request);
  const bool head = request.method == "HEAD";
  net::co_spawn(
      ctx,
      [&]() -> net::awaitable<void> {
        co_await net::async_connect(socket, resolved.endpoints, net::use_awaitable);
        phase = "sending the request";
        co_await http::async_write(socket, msg, net::use_awaitable);
        phase = "waiting for the response";
        beast::flat_buffer buffer;
        while (true) {
          http::response_parser<http::string_body> parser;
          parser.body_limit(kMaxResponseBytes);
          parser.header_limit(64 * 1024);
          if (head) parser.skip(true);  // its Content-Length is the GET's; no body follows
          co_await http::async_read(socket, buffer, parser, net::use_awaitable);
          auto reply = parser.release();
          int status = static_cast<int>(reply.result_int());
          if (status >= 100 && status < 200 && status != 101) continue;  // 100 Continue: the reply follows
          result = from_message(std::move(reply));
          co_return;
        }
      },
      [&](std::exception_ptr e) {
        if (!e) return;
        try {
          std::rethrow_exception(e);
        } catch (const boost::system::system_error& se) {
          error = failure(se.code(), phase);
        } catch (const std::exception& x) {
          error = x.what();
        }
      });
  ctx.run_until(deadline);
  boost::system::error_code ignored;
  socket.close(ignored);
  if (result) return std::move(*result);
  if (error) throw HttpError(where + ": " + *error);
  throw timed_out(phase);
}

}  // namespace biodev::util
