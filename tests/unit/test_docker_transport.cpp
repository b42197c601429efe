#include <doctest/doctest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "docker/errors.h"
#include "docker/transport.h"

using namespace biodev::docker;
using namespace std::chrono_literals;

namespace {

// One HTTP request as the fake engine sees it.
struct Seen {
  std::string head;  // request line and headers
  std::string body;
  bool has(const std::string& text) const { return head.find(text) != std::string::npos; }
};

// The server side of one accepted connection.
class Peer {
 public:
  explicit Peer(int fd) : fd_(fd) {}
  // Reads one request (Content-Length bodies only); false when the client closed.
  bool read_request(Seen& out) {
    size_t end;
    while ((end = pending_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) return false;
    }
    out.head = pending_.substr(0, end + 4);
    pending_.erase(0, end + 4);
    size_t length = 0;
    if (auto pos = out.head.find("Content-Length: "); pos != std::string::npos) {
      length = std::stoul(out.head.substr(pos + 16));
    }
    while (pending_.size() < length) {
      if (!fill()) return false;
    }
    out.body = pending_.substr(0, length);
    pending_.erase(0, length);
    return true;
  }
  void send(const std::string& data) { ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL); }
  void send_ok(const std::string& body) {
    send("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body);
  }
  // Raw bytes after an upgrade: whatever is buffered first.
  std::string read_some() {
    if (pending_.empty() && !fill()) return "";
    std::string out;
    out.swap(pending_);
    return out;
  }
  void wait_for_close() {
    while (fill()) pending_.clear();
  }

 private:
  bool fill() {
    char buf[65536];
    ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n <= 0) return false;
    pending_.append(buf, static_cast<size_t>(n));
    return true;
  }
  int fd_;
  std::string pending_;
};

// A fake engine on a unix socket in /tmp: each accepted connection runs `handler` on its
// own thread. Destroy transports first so the handlers see their connections close.
class FakeServer {
 public:
  explicit FakeServer(std::function<void(Peer&)> handler) : handler_(std::move(handler)) {
    static std::atomic<int> counter{0};
    path_ = "/tmp/biodev-unit-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) +
            ".sock";
    ::unlink(path_.c_str());
    listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path_.copy(addr.sun_path, sizeof addr.sun_path - 1);
    REQUIRE(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(listen_fd_, 16) == 0);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~FakeServer() {
    ::shutdown(listen_fd_, SHUT_RDWR);  // wakes accept()
    acceptor_.join();
    for (auto& t : workers_) t.join();
    ::close(listen_fd_);
    ::unlink(path_.c_str());
  }
  Endpoint endpoint() const { return Endpoint::parse("unix://" + path_); }
  int connections() const { return accepted_; }

 private:
  void accept_loop() {
    while (true) {
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      ++accepted_;
      workers_.emplace_back([this, fd] {
        Peer peer(fd);
        handler_(peer);
        ::close(fd);
      });
    }
  }
  std::function<void(Peer&)> handler_;
  std::string path_;
  int listen_fd_ = -1;
  std::atomic<int> accepted_{0};
  std::thread acceptor_;
  std::vector<std::thread> workers_;
};

HttpRequest get(const std::string& target, std::chrono::milliseconds timeout = 5s) {
  HttpRequest req;
  req.target = target;
  req.timeout = timeout;
  return req;
}

// Answers every request on the connection with its target, until the client closes.
void echo_target(Peer& peer) {
  Seen req;
  while (peer.read_request(req)) {
    peer.send_ok(req.head.substr(0, req.head.find("\r\n")));
  }
}

}  // namespace

TEST_CASE("Endpoint::parse") {
  Endpoint def = Endpoint::parse("");
  CHECK(def.kind == Endpoint::Kind::kUnix);
  CHECK(def.path == "/var/run/docker.sock");
  CHECK(def.to_string() == "unix:///var/run/docker.sock");

  CHECK(Endpoint::parse("unix:///run/user/1000/docker.sock").path == "/run/user/1000/docker.sock");

  Endpoint tcp = Endpoint::parse("tcp://127.0.0.1:2375");
  CHECK(tcp.kind == Endpoint::Kind::kTcp);
  CHECK(tcp.host == "127.0.0.1");
  CHECK(tcp.port == "2375");
  CHECK(tcp.to_string() == "tcp://127.0.0.1:2375");
  CHECK(Endpoint::parse("tcp://docker-host").port == "2375");
  Endpoint v6 = Endpoint::parse("tcp://[::1]:2376");
  CHECK(v6.host == "::1");
  CHECK(v6.port == "2376");
  CHECK(v6.to_string() == "tcp://[::1]:2376");

  CHECK(Endpoint::parse("tcp://docker", true).port == "2376");
  CHECK(Endpoint::parse("tcp://docker:2375", true).port == "2375");
  CHECK(tcp.on_this_machine());
  CHECK_FALSE(Endpoint::parse("tcp://127.0.0.2:2376").on_this_machine());
  CHECK_FALSE(Endpoint::parse("tcp://docker:2376").on_this_machine());
  CHECK(Endpoint::parse("tcp://localhost:2375").on_this_machine());
  CHECK(def.on_this_machine());

  Endpoint ssh = Endpoint::parse("ssh://me@build-box:2222");
  CHECK(ssh.kind == Endpoint::Kind::kSsh);
  CHECK(ssh.user == "me");
  CHECK(ssh.host == "build-box");
  CHECK(ssh.port == "2222");
  CHECK(ssh.to_string() == "ssh://me@build-box:2222");
  Endpoint bare = Endpoint::parse("ssh://box");
  CHECK(bare.user.empty());
  CHECK(bare.port.empty());
  CHECK(bare.to_string() == "ssh://box");
  CHECK(Endpoint::parse("ssh://root@[::1]:22").host == "::1");

  for (const char* bad : {"/var/run/docker.sock", "npipe:////./pipe/docker", "unix://", "tcp://:2375",
                          "tcp://host:port", "ssh://@box", "ssh://me:secret@box", "ssh://box/path",
                          "ssh://"}) {
    CAPTURE(bad);
    try {
      Endpoint::parse(bad);
      FAIL("accepted");
    } catch (const biodev::UsageError& e) {
      CHECK(std::string(e.what()).find(bad) != std::string::npos);
    }
  }

}

TEST_CASE("HttpResponse::header is case-insensitive") {
  HttpResponse r{200, {{"api-version", "1.41"}}, ""};
  CHECK(r.header("API-Version") == "1.41");
  CHECK(r.header("Server").empty());
}

TEST_CASE("a missing socket is kUnreachable at once, with a hint") {
  auto transport = make_socket_transport(Endpoint::parse("unix:///tmp/biodev-no-such.sock"));
  auto start = std::chrono::steady_clock::now();
  try {
    transport->request(get("/_ping"));
    FAIL("connected");
  } catch (const EngineError& e) {
    CHECK(e.kind() == ErrorKind::kUnreachable);
    CHECK(e.code() == biodev::ExitCode::kUnreachable);
    CHECK(std::string(e.what()) ==
          "cannot reach the Docker engine at unix:///tmp/biodev-no-such.sock: No such file or "
          "directory (is dockerd running? start it, then run the command again)");
  }
  CHECK(std::chrono::steady_clock::now() - start < 100ms);
}

TEST_CASE("sequential calls reuse one keep-alive connection; parallel ones get their own") {
  FakeServer server(echo_target);
  {
    auto transport = make_socket_transport(server.endpoint());
    for (int i = 0; i < 5; ++i) {
      HttpResponse r = transport->request(get("/v1.41/containers/json?n=" + std::to_string(i)));
      CHECK(r.status == 200);
      CHECK(r.body == "GET /v1.41/containers/json?n=" + std::to_string(i) + " HTTP/1.1");
      CHECK(r.header("content-type") == "application/json");
    }
    CHECK(server.connections() == 1);

    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int t = 0; t < 3; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 20; ++i) {
          auto target = "/t" + std::to_string(t) + "/" + std::to_string(i);
          if (transport->request(get(target)).body == "GET " + target + " HTTP/1.1") ++ok;
        }
      });
    }
    for (auto& th : threads) th.join();
    CHECK(ok == 60);
    CHECK(server.connections() <= 3);
  }
}

TEST_CASE("requests carry Host, Content-Type and Content-Length; file bodies are streamed") {
  std::mutex mutex;
  std::vector<Seen> seen;
  FakeServer server([&](Peer& peer) {
    Seen req;
    while (peer.read_request(req)) {
      {
        std::lock_guard lock(mutex);
        seen.push_back(req);
      }
      peer.send_ok(std::to_string(req.body.size()));
    }
  });
  std::string file = "/tmp/biodev-unit-ctx-" + std::to_string(::getpid()) + ".tar";
  {
    std::ofstream out(file, std::ios::binary);
    for (int i = 0; i < 300000; ++i) out << static_cast<char>('a' + i % 26);
  }
  {
    auto transport = make_socket_transport(server.endpoint());
    HttpRequest post;
    post.method = "POST";
    post.target = "/v1.41/containers/create?name=db";
    post.body = R"({"Image":"postgres:16"})";
    CHECK(transport->request(post).body == "23");
    HttpRequest build;
    build.method = "POST";
    build.target = "/v1.41/build?t=x";
    build.body_file = file;
    build.content_type = "application/x-tar";
    CHECK(transport->request(build).body == "300000");
  }
  ::unlink(file.c_str());
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].has("POST /v1.41/containers/create?name=db HTTP/1.1\r\n"));
  CHECK(seen[0].has("Host: docker\r\n"));
  CHECK(seen[0].has("Content-Type: application/json\r\n"));
  CHECK(seen[0].body == R"({"Image":"postgres:16"})");
  CHECK(seen[1].has("Content-Type: application/x-tar\r\n"));
  CHECK(seen[1].has("Content-Length: 300000\r\n"));
  CHECK(seen[1].body.substr(0, 5) == "abcde");
}

TEST_CASE("stream: chunked body delivered incrementally, split across reads") {
  std::promise<void> first_seen;
  auto first_future = first_seen.get_future();
  std::atomic<bool> delivered_early{false};
  FakeServer server([&](Peer& peer) {
    Seen req;
    if (!peer.read_request(req)) return;
    peer.send(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
        "\r\n6\r\nhel");
    std::this_thread::sleep_for(20ms);
    peer.send("lo ");
    std::this_thread::sleep_for(20ms);
    peer.send("\r\n");
    // The rest only once the client has seen the first chunk: proves no buffering to EOF.
    delivered_early = first_future.wait_for(2s) == std::future_status::ready;
    peer.send("5\r\nworld\r");
    std::this_thread::sleep_for(20ms);
    peer.send("\n0\r\n\r\n");
    echo_target(peer);
  });
  {
    auto transport = make_socket_transport(server.endpoint());
    std::string got;
    bool signalled = false;
    HttpResponse r = transport->stream(get("/v1.41/events", 0ms), [&](std::string_view chunk) {
      got += chunk;
      if (!signalled && got.size() >= 6) {
        signalled = true;
        first_seen.set_value();
      }
      return true;
    });
    CHECK(r.status == 200);
    CHECK(r.body.empty());
    CHECK(got == "hello world");
    CHECK(transport->request(get("/after")).status == 200);  // same connection, still in sync
    CHECK(server.connections() == 1);
  }
  CHECK(delivered_early);
}

TEST_CASE("stream: an error status returns the body whole, sink untouched") {
  FakeServer server([](Peer& peer) {
    Seen req;
    while (peer.read_request(req)) {
      peer.send(
          "HTTP/1.1 404 Not Found\r\nContent-Length: 31\r\n\r\n{\"message\":\"No such "
          "container\"}");
    }
  });
  auto transport = make_socket_transport(server.endpoint());
  bool called = false;
  HttpResponse r = transport->stream(get("/v1.41/containers/x/logs"), [&](std::string_view) {
    called = true;
    return true;
  });
  CHECK(r.status == 404);
  CHECK(r.body == R"({"message":"No such container"})");
  CHECK_FALSE(called);
}

TEST_CASE("stream: a sink that stops closes the connection instead of pooling it") {
  FakeServer server([](Peer& peer) {
    Seen req;
    if (!peer.read_request(req)) return;
    peer.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nmore\r\n");
    peer.wait_for_close();
  });
  {
    auto transport = make_socket_transport(server.endpoint());
    transport->stream(get("/v1.41/events", 0ms), [](std::string_view) { return false; });
    CHECK_THROWS_AS(
        transport->stream(get("/v1.41/events", 300ms), [](std::string_view) { return true; }),
        EngineError);  // the second connection's sink never stops: idle timeout
    CHECK(server.connections() == 2);
  }
}

TEST_CASE("a server that never answers gives kTimeout within the deadline") {
  FakeServer server([](Peer& peer) { peer.wait_for_close(); });
  auto transport = make_socket_transport(server.endpoint());
  auto start = std::chrono::steady_clock::now();
  try {
    transport->request(get("/v1.41/containers/json", 200ms));
    FAIL("answered");
  } catch (const EngineError& e) {
    CHECK(e.kind() == ErrorKind::kTimeout);
    CHECK(std::string(e.what()).find("GET /v1.41/containers/json") != std::string::npos);
    CHECK(std::string(e.what()).find("200ms") != std::string::npos);
  }
  auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(elapsed >= 190ms);
  CHECK(elapsed < 1s);
}

TEST_CASE("a pooled connection closed by the engine is replaced for idempotent calls") {
  // Each connection answers one request, then reads the next and drops it unanswered:
  // the race of an engine closing an idle keep-alive connection as it is reused.
  FakeServer server([](Peer& peer) {
    Seen req;
    if (!peer.read_request(req)) return;
    peer.send_ok("first");
    peer.read_request(req);
  });
  auto transport = make_socket_transport(server.endpoint());
  CHECK(transport->request(get("/a")).body == "first");
  CHECK(transport->request(get("/b")).body == "first");  // retried on a new connection
  CHECK(server.connections() == 2);

  HttpRequest post = get("/v1.41/containers/db/start");
  post.method = "POST";  // not idempotent: the engine may have acted, so no retry
  try {
    transport->request(post);
    FAIL("answered");
  } catch (const EngineError& e) {
    CHECK(e.kind() == ErrorKind::kUnreachable);
    CHECK(std::string(e.what()).find("POST /v1.41/containers/db/start") != std::string::npos);
  }
}

TEST_CASE("upgrade: bytes past the 101 come first, then a raw two-way stream") {
  std::promise<std::string> from_client;
  auto received = from_client.get_future();
  FakeServer server([&](Peer& peer) {
    Seen req;
    if (!peer.read_request(req)) return;
    peer.send(
        "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n"
        "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\nearly");
    std::string in;
    while (in.size() < 4) in += peer.read_some();
    peer.send("pong");
    std::string rest;
    while (!(rest = peer.read_some()).empty()) in += rest;  // until the half-close
    from_client.set_value(in);
    peer.send("bye");
  });
  {
    auto transport = make_socket_transport(server.endpoint());
    HttpRequest req = get("/v1.41/exec/ex1/start");
    req.method = "POST";
    req.body = R"({"Detach":false,"Tty":false})";
    auto raw = transport->upgrade(req);
    auto read_n = [&](size_t n) {
      std::string out;
      char buf[64];
      while (out.size() < n) {
        size_t got = raw->read_some(buf, std::min(sizeof buf, n - out.size()));
        if (got == 0) break;
        out.append(buf, got);
      }
      return out;
    };
    CHECK(read_n(5) == "early");
    raw->write_all("ping");
    CHECK(read_n(4) == "pong");
    raw->write_all("+eof");
    raw->shutdown_write();
    CHECK(read_n(3) == "bye");
    char c;
    CHECK(raw->read_some(&c, 1) == 0);
    CHECK(raw->native_handle() >= 0);
  }
  CHECK(received.get() == "ping+eof");
}

TEST_CASE("upgrade: an error status throws with the engine's message") {
  FakeServer server([](Peer& peer) {
    Seen req;
    if (!peer.read_request(req)) return;
    peer.send(
        "HTTP/1.1 409 Conflict\r\nContent-Length: 41\r\n\r\n"
        "{\"message\":\"Container db is not running\"}");
    peer.wait_for_close();
  });
  auto transport = make_socket_transport(server.endpoint());
  HttpRequest req = get("/v1.41/exec/ex1/start");
  req.method = "POST";
  try {
    transport->upgrade(req);
    FAIL("upgraded");
  } catch (const EngineError& e) {
    CHECK(e.kind() == ErrorKind::kConflict);
    CHECK(e.status() == 409);
    CHECK(std::string(e.what()) == "Container db is not running");
  }
}
