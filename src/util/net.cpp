#include <netdb.h>
#include <sys/socket.h>

#include <cctype>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>

#include "util/asio.h"

namespace biodev::util {

using tcp = net::ip::tcp;

Resolved resolve(const std::string& host, int port, std::chrono::steady_clock::time_point deadline) {
  boost::system::error_code ec;
  auto addr = net::ip::make_address(host, ec);
  if (!ec) return {{tcp::endpoint(addr, static_cast<unsigned short>(port))}, {}};
  struct Lookup {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    Resolved result;
  };
  auto lookup = std::make_shared<Lookup>();
  try {
    std::thread([lookup, host, port] {
      addrinfo hints{};
      hints.ai_family = AF_UNSPEC;
      hints.ai_socktype = SOCK_STREAM;
      addrinfo* list = nullptr;
      Resolved r;
      int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &list);
      if (rc != 0) r.error = "cannot resolve \"" + host + "\": " + gai_strerror(rc);
      for (addrinfo* ai = list; ai; ai = ai->ai_next) {
        tcp::endpoint ep;
        std::memcpy(ep.data(), ai->ai_addr, ai->ai_addrlen);
        ep.resize(ai->ai_addrlen);
        r.endpoints.push_back(ep);
      }
      if (list) freeaddrinfo(list);
      std::lock_guard lock(lookup->mu);
      lookup->result = std::move(r);
      lookup->done = true;
      lookup->cv.notify_all();
    }).detach();
  } catch (const std::system_error& e) {
    return {{}, std::string("cannot start name lookup: ") + e.what()};
  }
  std::unique_lock lock(lookup->mu);
  if (!lookup->cv.wait_until(lock, deadline, [&] { return lookup->done; }))
    return {{}, "resolving \"" + host + "\""};  // the caller reports it as a timeout
  return lookup->result;
}

std::string describe(const boost::system::error_code& ec) {
  if (ec == net::error::connection_refused) return "connection refused";
  if (ec == net::error::eof) return "connection closed by the server";
  std::string m = ec.message();
  if (!m.empty()) m[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(m[0])));
  return m;
}

net::awaitable<int> http_get_status(net::ip::tcp::socket& socket, const std::string& host_header,
                                    const std::string& path, std::string& phase) {
  http::request<http::empty_body> req{http::verb::get, path.empty() ? "/" : path, 11};
  req.set(http::field::host, host_header);
  req.set(http::field::user_agent, "biodev-probe");
  req.keep_alive(false);
  phase = "sending the request";
  co_await http::async_write(socket, req, net::use_awaitable);
  phase = "waiting for the HTTP response";
  beast::flat_buffer buffer;
  http::response_parser<http::empty_body> parser;
  co_await http::async_read_header(socket, buffer, parser, net::use_awaitable);
  co_return static_cast<int>(parser.get().result_int());
}

}  // namespace biodev::util
