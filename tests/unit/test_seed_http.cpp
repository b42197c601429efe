// The seeders' HTTP/1.1 client: response parsing, the request on the wire, and real
// exchanges with an in-test server, including timeouts and refused connections.
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

}  // namespace

TEST_CASE("http: a response with Content-Length") {
  std::string raw = "HTTP/1.1 404 Not Found\r\nContent-Length: 5\r\nX-A: b \r\n\r\nhello";
  auto r = parse_http_response(raw, false, false);
  REQUIRE(r);
  CHECK(r->status == 404);
  CHECK(r->reason == "Not Found");
  CHECK(r->body == "hello");
  CHECK(r->header("x-a") == "b");
  CHECK(r->header("CONTENT-LENGTH") == "5");
  CHECK(r->header("missing").empty());
  // Any prefix needs more bytes.
  CHECK_FALSE(parse_http_response(raw.substr(0, raw.size() - 1), false, false));
  CHECK_FALSE(parse_http_response(raw.substr(0, 20), false, false));
}

TEST_CASE("http: chunked bodies are decoded") {
  std::string raw =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4\r\nWiki\r\n6;ext=1\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\n\r\n";
  auto r = parse_http_response(raw, false, false);
  REQUIRE(r);
  CHECK(r->body == "Wikipedia in \r\n\r\nchunks.");
  CHECK_FALSE(parse_http_response(raw.substr(0, raw.size() - 2), false, false));
  CHECK_THROWS_AS(parse_http_response(raw.substr(0, raw.size() - 9), false, true), HttpError);
}

TEST_CASE("http: interim 100 Continue is skipped") {
  auto r = parse_http_response(
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok", false,
      false);
  REQUIRE(r);
  CHECK(r->status == 201);
  CHECK(r->body == "ok");
}

TEST_CASE("http: HEAD, 204 and 304 have no body") {
  auto head = parse_http_response("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", true, false);
  REQUIRE(head);
  CHECK(head->body.empty());
  auto no_content = parse_http_response("HTTP/1.1 204 No Content\r\n\r\n", false, false);
  REQUIRE(no_content);
  CHECK(no_content->status == 204);
}

TEST_CASE("http: without a length the body ends at close") {
  std::string raw = "HTTP/1.0 200 OK\r\n\r\npartial";
  CHECK_FALSE(parse_http_response(raw, false, false));
  auto r = parse_http_response(raw, false, true);
  REQUIRE(r);
  CHECK(r->body == "partial");
}

TEST_CASE("http: malformed or truncated replies throw") {
  CHECK_THROWS_AS(parse_http_response("SSH-2.0-OpenSSH\r\n\r\n", false, false), HttpError);
  CHECK_THROWS_AS(parse_http_response("HTTP/1.1 2x0 OK\r\n\r\n", false, false), HttpError);
  CHECK_THROWS_AS(parse_http_response("", false, true), HttpError);
  CHECK_THROWS_AS(
      parse_http_response("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc", false, true),
      HttpError);
  CHECK_THROWS_AS(parse_http_response("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", false, false),
                  HttpError);
}

TEST_CASE("http: the request on the wire") {
  HttpRequest put{"PUT", "/b", {}, ""};
  CHECK(serialize_http_request("127.0.0.1", 9000, put) ==
        "PUT /b HTTP/1.1\r\nHost: 127.0.0.1:9000\r\nContent-Length: 0\r\n"
        "Connection: close\r\n\r\n");
  HttpRequest get{"GET", "/x?y=1", {{"Host", "example:1"}, {"Accept", "*/*"}}, ""};
  CHECK(serialize_http_request("::1", 80, get) ==
        "GET /x?y=1 HTTP/1.1\r\nHost: example:1\r\nAccept: */*\r\nConnection: close\r\n\r\n");
  HttpRequest v6{"GET", "/", {}, ""};
  CHECK(serialize_http_request("::1", 80, v6).find("Host: [::1]:80\r\n") != std::string::npos);
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
