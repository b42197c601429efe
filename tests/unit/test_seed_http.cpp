// biodev's HTTP/1.1 client for the stack's servers (util/http_client.h, used by the
// seeders): replies as the in-test server sends them (lengths, chunks, 1xx, HEAD, bodies
// ending at close, malformed and truncated), the request on the wire, timeouts and
// refused connections.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "seed/http.h"
#include "test_seed_server.h"

using namespace biodev::seed;
using biodev::seed::testing::FakeServer;
using biodev::seed::testing::SeenRequest;

namespace {

// A port with nothing listening: bound, then closed.
int unused_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// The reply the in-test server sends for every request, then it closes the connection.
HttpResponse exchange(const std::string& raw, HttpRequest req = {}) {
  FakeServer server([raw](const SeenRequest&) { return raw; });
  return http_request("127.0.0.1", server.port(), req, std::chrono::milliseconds(3000));
}

}  // namespace

TEST_CASE("http: a response with Content-Length") {
  HttpResponse r = exchange("HTTP/1.1 404 Not Found\r\nContent-Length: 5\r\nX-A: b \r\n\r\nhello");
  CHECK(r.status == 404);
  CHECK(r.reason == "Not Found");
  CHECK(r.body == "hello");
  CHECK(r.header("x-a") == "b");
  CHECK(r.header("CONTENT-LENGTH") == "5");
  CHECK(r.header("missing").empty());
  // Bytes past the announced length are not part of the body.
  CHECK(exchange("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA").body == "ok");
}

TEST_CASE("http: chunked bodies are decoded") {
  std::string raw =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4\r\nWiki\r\n6;ext=1\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\n\r\n";
  CHECK(exchange(raw).body == "Wikipedia in \r\n\r\nchunks.");
  CHECK_THROWS_AS(exchange(raw.substr(0, raw.size() - 9)), HttpError);  // closed inside the body
}

TEST_CASE("http: interim 100 Continue is skipped") {
  HttpResponse r = exchange("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok");
  CHECK(r.status == 201);
  CHECK(r.body == "ok");
}

TEST_CASE("http: HEAD, 204 and 304 have no body") {
  HttpResponse head = exchange("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", HttpRequest{"HEAD", "/", {}, ""});
  CHECK(head.status == 200);
  CHECK(head.body.empty());
  CHECK(head.header("content-length") == "100");
  HttpResponse no_content = exchange("HTTP/1.1 204 No Content\r\n\r\n");
  CHECK(no_content.status == 204);
  CHECK(no_content.body.empty());
  CHECK(exchange("HTTP/1.1 304 Not Modified\r\n\r\n").status == 304);
}

TEST_CASE("http: without a length the body ends at close") {
  HttpResponse r = exchange("HTTP/1.0 200 OK\r\n\r\npartial");
  CHECK(r.body == "partial");
}

TEST_CASE("http: malformed or truncated replies throw") {
  CHECK_THROWS_WITH_AS(exchange("SSH-2.0-OpenSSH\r\n\r\n"), doctest::Contains("not a valid HTTP reply"), HttpError);
  CHECK_THROWS_AS(exchange("HTTP/1.1 2x0 OK\r\n\r\n"), HttpError);
  CHECK_THROWS_WITH_AS(exchange(""), doctest::Contains("connection closed"), HttpError);
  CHECK_THROWS_WITH_AS(exchange("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc"),
                       doctest::Contains("connection closed before a complete reply"), HttpError);
  CHECK_THROWS_AS(exchange("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n"), HttpError);
  CHECK_THROWS_AS(exchange("HTTP/1.1 200 OK\r\nContent-Len"), HttpError);  // closed inside the headers
}

TEST_CASE("http: the request on the wire") {
  FakeServer server([](const SeenRequest&) { return biodev::seed::testing::reply(200); });
  http_request("127.0.0.1", server.port(), HttpRequest{"PUT", "/b", {}, ""});
  http_request("127.0.0.1", server.port(), HttpRequest{"GET", "/x?y=1", {{"Host", "example:1"}, {"Accept", "*/*"}}, ""});
  auto seen = server.requests();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].method == "PUT");
  CHECK(seen[0].target == "/b");
  CHECK(seen[0].header("host") == "127.0.0.1:" + std::to_string(server.port()));
  CHECK(seen[0].header("content-length") == "0");  // PUT and POST always say their length
  CHECK(seen[0].header("connection") == "close");
  CHECK(seen[1].target == "/x?y=1");
  CHECK(seen[1].header("host") == "example:1");  // a given Host is sent unchanged (signed requests)
  CHECK(seen[1].header("accept") == "*/*");
  CHECK(seen[1].header("content-length").empty());
  CHECK(seen[1].header("connection") == "close");
}

TEST_CASE("http: an IPv6 address is bracketed in Host and in errors") {
  int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
  if (fd < 0) return;  // no IPv6 on this machine: nothing to check
  ::close(fd);
  try {
    http_request("::1", unused_port(), HttpRequest{}, std::chrono::milliseconds(2000));
    FAIL("expected HttpError");
  } catch (const HttpError& e) {
    CHECK(std::string(e.what()).find("http://[::1]:") != std::string::npos);
  }
}

TEST_CASE("http: a round trip with the in-test server") {
  FakeServer server([](const SeenRequest& r) {
    return biodev::seed::testing::reply(200, r.method + " " + r.target + " " + r.body);
  });
  HttpRequest req{"PUT", "/collections/a", {{"Content-Type", "application/json"}}, "{\"x\":1}"};
  HttpResponse r = http_request("127.0.0.1", server.port(), req);
  CHECK(r.status == 200);
  CHECK(r.body == "PUT /collections/a {\"x\":1}");
  auto seen = server.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].header("content-length") == "7");
  CHECK(seen[0].header("content-type") == "application/json");
  CHECK(seen[0].header("host") == "127.0.0.1:" + std::to_string(server.port()));

  // "localhost" resolves; a large body arrives whole.
  std::string big(300000, 'z');
  FakeServer bulk([&big](const SeenRequest&) { return biodev::seed::testing::reply(200, big); });
  CHECK(http_request("localhost", bulk.port(), HttpRequest{}).body == big);
}

TEST_CASE("http: a refused connection throws naming the address") {
  int port = unused_port();
  try {
    http_request("127.0.0.1", port, HttpRequest{}, std::chrono::milliseconds(2000));
    FAIL("expected HttpError");
  } catch (const HttpError& e) {
    std::string what = e.what();
    CHECK(what.find("127.0.0.1:" + std::to_string(port)) != std::string::npos);
    CHECK(what.find("cannot connect") != std::string::npos);
  }
}

TEST_CASE("http: a server that never answers times out") {
  // Listening but never accepting: the kernel completes the handshake, nobody replies.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::listen(fd, 4);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  auto t0 = std::chrono::steady_clock::now();
  CHECK_THROWS_WITH_AS(
      http_request("127.0.0.1", ntohs(a.sin_port), HttpRequest{}, std::chrono::milliseconds(300)),
      doctest::Contains("timed out"), HttpError);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(3));
  ::close(fd);
}
