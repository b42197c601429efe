// Forwarding a request to an upstream service, for Reply::proxy_to. Internal to the
// server core; Beast stays in proxy.cpp.
#pragma once

#include "serve/server.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace biodev::serve {

// Sends `req` (method, headers, body) to `to.host:to.port` as `to.target` on `ioc` and
// delivers the upstream's reply to `done`, or a JSON 502 (unreachable, bad answer) or
// 504 (no answer within to.timeout). One connection per call, closed afterwards.
// Hop-by-hop headers are dropped; X-Forwarded-For/-Host/-Proto are added.
void forward_request(boost::asio::io_context& ioc, const ProxyTarget& to, const Request& req,
                     ReplySink done);

}  // namespace biodev::serve
