#include <chrono>
#include <map>
#include <mutex>

#include "store/clients.h"
#include "util/asio.h"

namespace biodev::store {
namespace {

using Clock = std::chrono::steady_clock;

std::mutex addresses_mu;
std::map<std::string, std::pair<std::string, Clock::time_point>> addresses;

}  // namespace

std::string address_of(const std::string& host, int port) {
  boost::system::error_code ec;
  net::ip::make_address(host, ec);
  if (!ec) return host;
  auto now = Clock::now();
  {
    std::lock_guard lock(addresses_mu);
    auto it = addresses.find(host);
    if (it != addresses.end() && now - it->second.second < std::chrono::seconds(10))
      return it->second.first;
  }
  util::Resolved r = util::resolve(host, port, now + std::chrono::seconds(5));
  if (r.endpoints.empty()) return host;
  std::string address = r.endpoints.front().address().to_string();
  std::lock_guard lock(addresses_mu);
  addresses[host] = {address, now};
  return address;
}

void forget_addresses() {
  std::lock_guard lock(addresses_mu);
  addresses.clear();
}

std::string quote_ident(const std::string& name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string quote_literal(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

seed::HttpResponse qdrant_call(const QdrantStore& q, const std::string& method,
                               const std::string& path, const std::string& body,
                               const std::string& content_type) {
  seed::HttpRequest req;
  req.method = method;
  req.target = path;
  req.body = body;
  if (!body.empty()) req.headers.emplace_back("Content-Type", content_type);
  if (!q.api_key.empty()) req.headers.emplace_back("api-key", q.api_key);
  try {
    return seed::http_request(address_of(q.host, q.port), q.port, req, std::chrono::seconds(60));
  } catch (const seed::HttpError& e) {
    forget_addresses();
    throw StoreFailure("qdrant " + method + " " + path + ": " + e.what());
  }
}

}  // namespace biodev::store
