// The one place biodev includes Boost.Asio and Boost.Beast.
//
// Boost 1.74's asio/awaitable.hpp uses std::exchange without including <utility>;
// with GCC 12 and -std=c++20 that fails, so <utility> comes first here. Include this
// only from .cpp files (src/docker/, src/serve/, the HTTP client and the probes): a Beast
// translation unit costs many seconds to compile, and headers elsewhere must stay cheap.
#pragma once

#include <utility>

#include <chrono>
#include <string>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace biodev {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;

namespace util {

struct Resolved {
  std::vector<net::ip::tcp::endpoint> endpoints;  // empty on failure
  std::string error;  // why, when empty; "resolving \"host\"" when the deadline passed
};

// host:port as addresses; a literal address needs no lookup. getaddrinfo cannot be
// cancelled and may block for many seconds when a name is unknown to the network's DNS
// (it gets forwarded upstream), so names resolve on a detached thread that is abandoned
// at `deadline` (src/util/net.cpp).
Resolved resolve(const std::string& host, int port, std::chrono::steady_clock::time_point deadline);

// "connection refused", "connection closed by the server", else the system's message
// starting in lowercase.
std::string describe(const boost::system::error_code& ec);

// GET `path` on a connected socket (HTTP/1.1, Connection: close, Host `host_header`)
// and read the status line and headers only, not the body: the probes' HTTP check.
// `phase` says which step is under way, for a caller's timeout message.
net::awaitable<int> http_get_status(net::ip::tcp::socket& socket, const std::string& host_header,
                                    const std::string& path, std::string& phase);

}  // namespace util
}  // namespace biodev
