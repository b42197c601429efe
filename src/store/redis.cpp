#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "store/clients.h"
#include "util/asio.h"
#include "util/strings.h"

namespace biodev::store {

// Reads and writes go through poll() with a deadline: Asio's blocking calls wait again
// without end when SO_RCVTIMEO fires, so a hung (paused) Redis would hang the caller.
struct RedisConnection::Impl {
  static constexpr int kTimeoutMs = 5000;
  net::io_context ioc;
  net::ip::tcp::socket socket{ioc};
  std::string buf;
  size_t pos = 0;  // what is consumed of buf

  void wait(short events, const char* what) {
    pollfd p{socket.native_handle(), events, 0};
    int n = ::poll(&p, 1, kTimeoutMs);
    if (n == 0) throw StoreFailure(std::string("redis: timed out after 5s ") + what);
    if (n < 0) throw StoreFailure(std::string("redis: ") + strerror(errno));
  }
  void write_all(const std::string& out) {
    for (size_t done = 0; done < out.size();) {
      wait(POLLOUT, "sending");
      ssize_t n =
          ::send(socket.native_handle(), out.data() + done, out.size() - done, MSG_NOSIGNAL);
      if (n < 0 && errno != EAGAIN && errno != EINTR)
        throw StoreFailure(std::string("redis: ") + strerror(errno));
      if (n > 0) done += static_cast<size_t>(n);
    }
  }
  void fill() {
    if (pos > (1 << 20)) buf.erase(0, pos), pos = 0;
    wait(POLLIN, "waiting for a reply");
    char chunk[65536];
    ssize_t n = ::recv(socket.native_handle(), chunk, sizeof chunk, 0);
    if (n == 0) throw StoreFailure("redis: the server closed the connection");
    if (n < 0 && errno != EAGAIN && errno != EINTR)
      throw StoreFailure(std::string("redis: ") + strerror(errno));
    if (n > 0) buf.append(chunk, static_cast<size_t>(n));
  }
  std::string read_line() {
    size_t end;
    while ((end = buf.find("\r\n", pos)) == std::string::npos) fill();
    std::string line = buf.substr(pos, end - pos);
    pos = end + 2;
    return line;
  }
  std::string read_exact(size_t n) {
    while (buf.size() - pos < n) fill();
    std::string s = buf.substr(pos, n);
    pos += n;
    return s;
  }
  RedisReply reply() {
    std::string line = read_line();
    if (line.empty()) throw StoreFailure("redis: empty reply");
    RedisReply r;
    char type = line[0];
    line.erase(0, 1);
    switch (type) {
      case '+':
        r.type = RedisReply::Type::kSimple, r.text = line;
        break;
      case '-':
        r.type = RedisReply::Type::kError, r.text = line;
        break;
      case ':':
        r.type = RedisReply::Type::kInteger, r.integer = std::stoll(line);
        break;
      case '$': {
        long long len = std::stoll(line);
        if (len < 0) break;  // nil
        r.type = RedisReply::Type::kBulk;
        r.text = read_exact(static_cast<size_t>(len) + 2).substr(0, static_cast<size_t>(len));
        break;
      }
      case '*': {
        long long n = std::stoll(line);
        if (n < 0) break;
        r.type = RedisReply::Type::kArray;
        for (long long i = 0; i < n; ++i) r.items.push_back(reply());
        break;
      }
      default:
        throw StoreFailure("redis: unexpected reply " + line.substr(0, 40));
    }
    return r;
  }
};

namespace {

std::string encode(const std::vector<std::string>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return out;
}

std::string reply_text(const RedisReply& r) {
  if (r.type == RedisReply::Type::kInteger) return std::to_string(r.integer);
  if (r.type != RedisReply::Type::kArray) return r.text;
  std::vector<std::string> items;
  for (const auto& i : r.items) items.push_back(reply_text(i));
  return join(items, "\n");
}

}  // namespace

RedisConnection::RedisConnection(const RedisStore& r) : impl_(std::make_unique<Impl>()) {
  net::ip::tcp::resolver resolver(impl_->ioc);
  boost::system::error_code ec;
  auto endpoints = resolver.resolve(address_of(r.host, r.port), std::to_string(r.port), ec);
  if (!ec) net::connect(impl_->socket, endpoints, ec);
  if (ec) {
    forget_addresses();
    throw StoreFailure("redis " + r.host + ":" + std::to_string(r.port) + ": " + ec.message());
  }
  if (!r.password.empty()) call({"AUTH", r.password});
}

RedisConnection::~RedisConnection() = default;

std::vector<RedisReply> RedisConnection::send(
    const std::vector<std::vector<std::string>>& commands) {
  std::string out;
  for (const auto& args : commands) out += encode(args);
  impl_->write_all(out);
  std::vector<RedisReply> replies;
  replies.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) replies.push_back(impl_->reply());
  return replies;
}

std::string RedisConnection::pipeline(const std::vector<std::vector<std::string>>& commands) {
  auto replies = send(commands);
  for (size_t i = 0; i < replies.size(); ++i)
    if (replies[i].type == RedisReply::Type::kError)
      throw StoreFailure("redis " + commands[i][0] + ": " + replies[i].text);
  return replies.empty() ? "" : reply_text(replies.back());
}

}  // namespace biodev::store
