// The server core over real loopback sockets: keep-alive, delayed and deferred
// replies, proxying, graceful stop.
#include <doctest/doctest.h>

#include <future>
#include <thread>

#include "serve/server.h"
#include "util/asio.h"

using namespace biodev;
using namespace biodev::serve;
using namespace std::chrono_literals;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

// A blocking keep-alive client for one connection.
struct Client {
  net::io_context ctx;
  tcp::socket socket{ctx};
  beast::flat_buffer buffer;

  explicit Client(int port) {
    socket.connect({net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
    timeval tv{5, 0};  // a hung test fails instead of hanging
    setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }

  http::response<http::string_body> call(http::verb verb, std::string target, std::string body = "",
                                         bool keep_alive = true) {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "test");
    req.body() = std::move(body);
    req.keep_alive(keep_alive);
    req.prepare_payload();
    http::write(socket, req);
    http::response<http::string_body> res;
    http::read(socket, buffer, res);
    return res;
  }
};

http::response<http::string_body> get(int port, std::string target) {
  return Client(port).call(http::verb::get, std::move(target));
}

ServerOptions loopback(int threads = 2) {
  ServerOptions o;
  o.host = "127.0.0.1";
  o.threads = threads;
  return o;
}

Reply echo(const Request& r) {
  if (r.path() == "/boom") throw std::runtime_error("boom");
  Reply reply = Reply::text(200, r.method + " " + r.target + " " + r.body);
  reply.headers.emplace_back("X-Seen-Host", std::string(r.header("host")));
  return reply;
}

}  // namespace

TEST_CASE("requests reach the handler and keep-alive reuses the connection") {
  Server server(loopback(), echo);
  server.start();
  Client c(server.port());
  auto a = c.call(http::verb::post, "/a?x=1", "hello");
  CHECK(a.result_int() == 200);
  CHECK(a.body() == "POST /a?x=1 hello");
  CHECK(a[http::field::content_type] == "text/plain; charset=utf-8");
  CHECK(a["X-Seen-Host"] == "test");
  CHECK(a.keep_alive());
  auto b = c.call(http::verb::get, "/b");
  CHECK(b.body() == "GET /b ");
  auto e = c.call(http::verb::get, "/boom");
  CHECK(e.result_int() == 500);
  CHECK(e.body().find("boom") != std::string::npos);
  auto last = c.call(http::verb::get, "/c", "", false);
  CHECK_FALSE(last.keep_alive());
}

TEST_CASE("a delayed reply waits on a timer, not a thread") {
  Server server(loopback(1), [](const Request& r) {
    Reply reply = Reply::text(200, "x");
    if (r.path() == "/slow") reply.delay = 300ms;
    return reply;
  });
  server.start();
  auto start = Clock::now();
  auto slow = std::async(std::launch::async, [&] { return get(server.port(), "/slow"); });
  std::this_thread::sleep_for(20ms);
  auto fast_start = Clock::now();
  CHECK(get(server.port(), "/fast").result_int() == 200);
  CHECK(Clock::now() - fast_start < 150ms);  // the only thread was free
  CHECK(slow.get().result_int() == 200);
  CHECK(Clock::now() - start >= 300ms);
}

TEST_CASE("a deferred reply may come from another thread") {
  std::vector<std::thread> helpers;
  std::mutex mu;
  Server server(loopback(1), [&](const Request&) {
    Reply r;
    r.deferred = [&](ReplySink sink) {
      std::lock_guard lock(mu);
      helpers.emplace_back([sink] {
        std::this_thread::sleep_for(30ms);
        sink(Reply::json(202, R"({"later":true})"));
      });
    };
    return r;
  });
  server.start();
  auto res = get(server.port(), "/x");
  CHECK(res.result_int() == 202);
  CHECK(res.body() == R"({"later":true})");
  server.stop();
  server.wait();
  for (auto& t : helpers) t.join();
}

TEST_CASE("proxy_to forwards to the upstream and maps failures to 502/504") {
  Server upstream(loopback(1), [](const Request& r) {
    Reply reply = Reply::json(201, "{\"got\":\"" + r.target + "\",\"body\":\"" + r.body + "\"}");
    reply.headers.emplace_back("X-Upstream-Saw-For", std::string(r.header("x-forwarded-for")));
    return reply;
  });
  upstream.start();
  // A listener that accepts (kernel backlog) but never answers.
  net::io_context silent_ctx;
  tcp::acceptor silent(silent_ctx, {net::ip::make_address("127.0.0.1"), 0});
  int silent_port = silent.local_endpoint().port();
  int dead_port = 0;
  {
    tcp::acceptor a(silent_ctx, {net::ip::make_address("127.0.0.1"), 0});
    dead_port = a.local_endpoint().port();
  }
  Server front(loopback(), [&](const Request& r) {
    Reply reply;
    int port = r.path() == "/silent" ? silent_port
               : r.path() == "/dead" ? dead_port
                                     : upstream.port();
    reply.proxy_to = ProxyTarget{"127.0.0.1", port, r.target, 200ms};
    return reply;
  });
  front.start();

  Client c(front.port());
  auto ok = c.call(http::verb::post, "/api/items?q=1", "payload");
  CHECK(ok.result_int() == 201);
  CHECK(ok.body() == R"({"got":"/api/items?q=1","body":"payload"})");
  CHECK(ok[http::field::content_type] == "application/json");
  CHECK(ok["X-Upstream-Saw-For"] == "127.0.0.1");
  CHECK(c.call(http::verb::get, "/again").result_int() == 201);  // session still usable

  auto dead = c.call(http::verb::get, "/dead");
  CHECK(dead.result_int() == 502);
  CHECK(dead.body().find("connection refused") != std::string::npos);

  auto start = Clock::now();
  auto slow = c.call(http::verb::get, "/silent");
  CHECK(slow.result_int() == 504);
  CHECK(Clock::now() - start >= 190ms);
  CHECK(Clock::now() - start < 1s);
  CHECK(slow.body().find("did not answer within 200ms") != std::string::npos);
}

TEST_CASE("stop closes idle connections at once and cuts pending delays") {
  Server server(loopback(), [](const Request& r) {
    Reply reply = Reply::text(200, "done");
    if (r.path() == "/slow") reply.delay = 10s;
    return reply;
  });
  server.start();
  Client idle(server.port());
  CHECK(idle.call(http::verb::get, "/x").result_int() == 200);  // now idle, kept alive
  auto slow = std::async(std::launch::async, [&] { return get(server.port(), "/slow"); });
  std::this_thread::sleep_for(50ms);
  auto start = Clock::now();
  server.stop();
  server.wait();
  auto took = Clock::now() - start;
  CHECK(took < 100ms);
  MESSAGE("graceful stop took " << std::chrono::duration<double, std::milli>(took).count()
                                << " ms");
  auto res = slow.get();
  CHECK(res.result_int() == 200);
  CHECK_FALSE(res.keep_alive());
}

TEST_CASE("env_int validates") {
  setenv("BIODEV_TEST_INT", "42", 1);
  CHECK(env_int("BIODEV_TEST_INT", 1, 0, 100) == 42);
  setenv("BIODEV_TEST_INT", "x", 1);
  CHECK_THROWS(env_int("BIODEV_TEST_INT", 1, 0, 100));
  unsetenv("BIODEV_TEST_INT");
  CHECK(env_int("BIODEV_TEST_INT", 7, 0, 100) == 7);
}

TEST_CASE("a streamed reply sends chunks as they are written and sees the client go") {
  std::promise<std::shared_ptr<StreamWriter>> got;
  Server server(loopback(1), [&](const Request&) {
    Reply r;
    r.content_type = "text/event-stream";
    r.stream = [&](std::shared_ptr<StreamWriter> w) { got.set_value(std::move(w)); };
    return r;
  });
  server.start();
  std::shared_ptr<StreamWriter> writer;
  {
    Client c(server.port());
    http::request<http::string_body> req{http::verb::get, "/events", 11};
    req.set(http::field::host, "test");
    http::write(c.socket, req);
    writer = got.get_future().get();
    CHECK(writer->write("data: one\n\n"));
    http::response_parser<http::buffer_body> parser;
    http::read_header(c.socket, c.buffer, parser);
    CHECK(parser.get().result_int() == 200);
    CHECK(parser.get()[http::field::content_type] == "text/event-stream");
    CHECK_FALSE(parser.get().has_content_length());
    std::string body;
    auto read_until = [&](const std::string& want) {
      char buf[256];
      while (body.find(want) == std::string::npos) {
        parser.get().body().data = buf;
        parser.get().body().size = sizeof buf;
        beast::error_code ec;
        http::read_some(c.socket, c.buffer, parser, ec);
        body.append(buf, sizeof buf - parser.get().body().size);
        if (ec && ec != http::error::need_buffer) break;
      }
    };
    read_until("one\n\n");
    CHECK(body == "data: one\n\n");
    writer->write("data: two\n\n");
    read_until("two\n\n");
    CHECK(body == "data: one\n\ndata: two\n\n");
  }  // the client closes its end
  auto deadline = Clock::now() + 3s;
  while (writer->open() && Clock::now() < deadline) std::this_thread::sleep_for(10ms);
  CHECK_FALSE(writer->open());
  CHECK_FALSE(writer->write("data: late\n\n"));
}
