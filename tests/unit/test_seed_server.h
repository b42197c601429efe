// A tiny HTTP/1.1 server on 127.0.0.1 for the seed tests: one thread, one request per
// connection, a handler from the parsed request to the raw reply bytes. Every request is
// kept for the test to inspect.
#pragma once

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "util/strings.h"

namespace biodev::seed::testing {

struct SeenRequest {
  std::string method, target, body;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  std::string header(const std::string& lower) const {
    for (const auto& [k, v] : headers)
      if (k == lower) return v;
    return {};
  }
};

// The raw bytes of a reply with a body and a Content-Length.
inline std::string reply(int status, const std::string& body = "",
                         const std::string& content_type = "application/json") {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: " + content_type +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
         body;
}

class FakeServer {
 public:
  using Handler = std::function<std::string(const SeenRequest&)>;

  explicit FakeServer(Handler handler) : handler_(std::move(handler)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 16);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { loop(); });
  }
  ~FakeServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;

  int port() const { return port_; }
  std::vector<SeenRequest> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }

 private:
  void loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      serve(c);
      ::close(c);
    }
  }

  void serve(int c) {
    std::string raw;
    char buf[4096];
    size_t head_end = std::string::npos;
    SeenRequest r;
    size_t need = 0;
    while (true) {
      if (head_end == std::string::npos && (head_end = raw.find("\r\n\r\n")) != raw.npos)
        need = parse_head(raw.substr(0, head_end), r);
      if (head_end != std::string::npos && raw.size() >= head_end + 4 + need) break;
      pollfd p{c, POLLIN, 0};
      if (::poll(&p, 1, 2000) <= 0) return;
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) return;
      raw.append(buf, static_cast<size_t>(n));
    }
    r.body = raw.substr(head_end + 4, need);
    {
      std::lock_guard<std::mutex> lock(mu_);
      seen_.push_back(r);
    }
    std::string out = handler_(r);
    ::send(c, out.data(), out.size(), MSG_NOSIGNAL);
  }

  static size_t parse_head(const std::string& head, SeenRequest& r) {
    auto lines = split(head, '\n');
    auto first = split(trim(lines[0]), ' ');
    r.method = first[0];
    r.target = first.size() > 1 ? first[1] : "";
    size_t length = 0;
    for (size_t i = 1; i < lines.size(); ++i) {
      size_t colon = lines[i].find(':');
      if (colon == std::string::npos) continue;
      std::string k = to_lower(trim(lines[i].substr(0, colon)));
      std::string v = trim(lines[i].substr(colon + 1));
      if (k == "content-length") length = std::stoul(v);
      r.headers.emplace_back(k, v);
    }
    return length;
  }

  Handler handler_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<SeenRequest> seen_;
};

}  // namespace biodev::seed::testing
