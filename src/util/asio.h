// The one place biodev includes Boost.Asio and Boost.Beast.
//
// Boost 1.74's asio/awaitable.hpp uses std::exchange without including <utility>;
// with GCC 12 and -std=c++20 that fails, so <utility> comes first here. Include this
// only from .cpp files in src/docker/ and src/serve/: a Beast translation unit costs
// many seconds to compile, and headers elsewhere must stay cheap.
#pragma once

#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace biodev {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
}  // namespace biodev
