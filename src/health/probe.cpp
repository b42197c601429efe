#include "health/probe.h"

#include <libpq-fe.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

#include <cctype>
#include <cerrno>
#include <cstring>

#include "util/asio.h"
#include "util/libpq_shim.h"

namespace biodev::health {

namespace {

using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using namespace std::string_view_literals;

ProbeResult fail(std::string detail) { return {false, {}, std::move(detail)}; }

std::string timed_out(std::chrono::milliseconds timeout, std::string_view phase) {
  return "timed out after " + std::to_string(timeout.count()) + "ms (" + std::string(phase) + ")";
}

using util::describe;

// What a socket probe does once connected; sets `phase` for timeout messages.
using Conversation =
    std::function<net::awaitable<ProbeResult>(tcp::socket& socket, std::string& phase)>;

// Resolve, connect, converse: all within `deadline`, on a private io_context so the
// deadline is one run_until() and nothing outlives the call.
ProbeResult socket_probe(const ProbeTarget& t, std::chrono::milliseconds timeout,
                         Clock::time_point deadline, Conversation converse) {
  util::Resolved r = util::resolve(t.host, t.port, deadline);
  if (r.endpoints.empty()) {
    if (Clock::now() >= deadline) return fail(timed_out(timeout, r.error));
    return fail(r.error.empty() ? "no addresses for \"" + t.host + "\"" : r.error);
  }
  net::io_context ctx(1);
  tcp::socket socket(ctx);
  std::string phase = "connecting";
  std::optional<ProbeResult> result;
  net::co_spawn(
      ctx,
      [&]() -> net::awaitable<void> {
        co_await net::async_connect(socket, r.endpoints, net::use_awaitable);
        result = co_await converse(socket, phase);
      },
      [&](std::exception_ptr e) {
        if (!e) return;
        try {
          std::rethrow_exception(e);
        } catch (const boost::system::system_error& se) {
          result = fail(describe(se.code()));
        } catch (const std::exception& x) {
          result = fail(x.what());
        }
      });
  ctx.run_until(deadline);
  if (!result) result = fail(timed_out(timeout, phase));
  boost::system::error_code ignored;
  socket.close(ignored);
  return *result;
}

// Docker's userland proxy accepts on the published host port before anything listens
// in the container, then closes the connection when its own dial fails. So a connect
// alone proves nothing: a peer that closes or resets within a few milliseconds is not
// ready. A server that waits for the client to speak is.
net::awaitable<ProbeResult> tcp_conversation(tcp::socket& socket, std::string& phase) {
  phase = "checking that the connection stays open";
  pollfd p{socket.native_handle(), POLLIN, 0};
  if (::poll(&p, 1, 30) > 0) {
    char c;
    ssize_t n = ::recv(socket.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
      co_return ProbeResult{false, {}, "connection closed at once (nothing listening yet)"};
  }
  co_return ProbeResult{true, {}, "accepting connections"};
}

Conversation http_conversation(const ProbeTarget& t) {
  return [&t](tcp::socket& socket, std::string& phase) -> net::awaitable<ProbeResult> {
    int status = co_await util::http_get_status(
        socket, t.host + ":" + std::to_string(t.port), t.spec.path, phase);
    int want = t.spec.expect_status;
    bool ok = status == want || (want == 200 && status >= 200 && status < 300);
    co_return ProbeResult{ok, {}, "HTTP " + std::to_string(status)};
  };
}

net::awaitable<ProbeResult> redis_conversation(tcp::socket& socket, std::string& phase) {
  phase = "sending PING";
  co_await net::async_write(socket, net::buffer("*1\r\n$4\r\nPING\r\n"sv), net::use_awaitable);
  phase = "waiting for PONG";
  std::string line;
  co_await net::async_read_until(socket, net::dynamic_buffer(line, 4096), "\r\n",
                                 net::use_awaitable);
  line.resize(line.find("\r\n"));
  if (line == "+PONG") co_return ProbeResult{true, {}, "PONG"};
  // A password-protected server is up; biodev only needs to know it answers.
  if (line.starts_with("-NOAUTH"))
    co_return ProbeResult{true, {}, "accepting connections (authentication required)"};
  if (line.starts_with("-LOADING")) co_return ProbeResult{false, {}, "loading the dataset"};
  if (line.starts_with("-")) co_return ProbeResult{false, {}, "redis: " + line.substr(1)};
  co_return ProbeResult{false, {}, "unexpected reply to PING: " + line.substr(0, 80)};
}

// The SQLSTATE in a verbose libpq message ("...failed: FATAL:  57P03: the database
// system is starting up"), or "" when the server never sent an error.
std::string sqlstate_of(const std::string& msg) {
  for (size_t i = msg.find(":  "); i != std::string::npos; i = msg.find(":  ", i + 1)) {
    if (i + 8 >= msg.size() || msg[i + 8] != ':') continue;
    std::string code = msg.substr(i + 3, 5);
    if (std::all_of(code.begin(), code.end(),
                    [](unsigned char c) { return std::isdigit(c) || std::isupper(c); }))
      return code;
  }
  return "";
}

// Like PQping: any answer from the server except "cannot connect now" (starting up,
// shutting down, recovering) means it accepts connections, even an authentication or
// unknown-database error.
ProbeResult postgres_outcome(PGconn* conn) {
  if (PQstatus(conn) == CONNECTION_OK) return {true, {}, "accepting connections"};
  if (PQconnectionNeedsPassword(conn))
    return {true, {}, "accepting connections (password required)"};
  std::string msg = PQerrorMessage(conn);
  std::string state = sqlstate_of(msg);
  size_t at = msg.find(state.empty() ? "failed: " : state + ": ");
  std::string text = at == std::string::npos ? msg : msg.substr(at + (state.empty() ? 8 : 7));
  text = text.substr(0, text.find('\n'));
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  if (state == "57P03") return fail(text);
  if (!state.empty()) return {true, {}, "accepting connections (" + text + ")"};
  return fail(text.empty() ? "connection failed" : text);
}

const char* postgres_phase(PGconn* conn) {
  switch (PQstatus(conn)) {
    case CONNECTION_STARTED:
      return "connecting";
    case CONNECTION_MADE:
    case CONNECTION_AWAITING_RESPONSE:
      return "waiting for the server";
    default:
      return "starting the session";
  }
}

// libpq's own connect_timeout has a 2-second floor, so it runs non-blocking here under
// our deadline. The name is resolved first (bounded) and passed as hostaddr, since
// libpq would otherwise block in getaddrinfo.
ProbeResult postgres_probe(const ProbeTarget& t, std::chrono::milliseconds timeout,
                           Clock::time_point deadline) {
  util::Resolved r = util::resolve(t.host, t.port, deadline);
  if (r.endpoints.empty())
    return fail(Clock::now() >= deadline ? timed_out(timeout, r.error) : r.error);
  std::string addr = r.endpoints.front().address().to_string(), port = std::to_string(t.port);
  std::string user = t.spec.user.empty() ? "postgres" : t.spec.user;
  std::string db = t.spec.database.empty() ? user : t.spec.database;
  const char* keys[] = {"host",       "hostaddr",         "port", "user", "dbname", "sslmode",
                        "gssencmode", "application_name", nullptr};
  const char* values[] = {t.host.c_str(), addr.c_str(), port.c_str(),   user.c_str(), db.c_str(),
                          "disable",      "disable",    "biodev-probe", nullptr};
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectStartParams(keys, values, 0),
                                                    &PQfinish);
  if (!conn) return fail("libpq: out of memory");
  PQsetErrorVerbosity(conn.get(), PQERRORS_VERBOSE);  // puts the SQLSTATE in the message
  if (PQstatus(conn.get()) == CONNECTION_BAD) return postgres_outcome(conn.get());
  auto st = PGRES_POLLING_WRITING;
  while (st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return fail(timed_out(timeout, postgres_phase(conn.get())));
    pollfd p{PQsocket(conn.get()),
             static_cast<short>(st == PGRES_POLLING_READING ? POLLIN : POLLOUT), 0};
    int rc = ::poll(&p, 1, static_cast<int>(left.count()));
    if (rc < 0 && errno == EINTR) continue;
    if (rc == 0) return fail(timed_out(timeout, postgres_phase(conn.get())));
    st = PQconnectPoll(conn.get());
  }
  return postgres_outcome(conn.get());
}

ProbeResult exec_probe(const ProbeTarget& t, const ExecRunner& exec) {
  // The runner talks to the engine with its own deadlines; it cannot be abandoned
  // safely (it may hold references to the caller's client), so it is not cut short.
  if (!exec) return fail("exec probes need the engine: no runner was given");
  if (t.spec.command.empty()) return fail("exec probe has no command");
  try {
    int code = exec(t.spec.command);
    if (code == 0) return {true, {}, "exit 0"};
    return fail("exit " + std::to_string(code));
  } catch (const std::exception& e) {
    return fail(std::string("exec failed: ") + e.what());
  }
}

ProbeResult dispatch(const ProbeTarget& t, std::chrono::milliseconds timeout,
                     Clock::time_point deadline, const ExecRunner& exec) {
  using Kind = profile::ProbeSpec::Kind;
  if (t.spec.kind == Kind::kNone) return {true, {}, "no probe"};
  if (t.spec.kind == Kind::kExec) return exec_probe(t, exec);
  if (t.port <= 0 || t.port > 65535) return fail("no port to probe");
  switch (t.spec.kind) {
    case Kind::kTcp:
      return socket_probe(t, timeout, deadline, tcp_conversation);
    case Kind::kHttp:
      return socket_probe(t, timeout, deadline, http_conversation(t));
    case Kind::kRedis:
      return socket_probe(t, timeout, deadline, redis_conversation);
    case Kind::kPostgres:
      return postgres_probe(t, timeout, deadline);
    default:
      return fail("unknown probe kind");
  }
}

}  // namespace

ProbeResult probe_once(const ProbeTarget& target, std::chrono::milliseconds timeout,
                       const ExecRunner& exec) {
  // Opening libpq, once per process, is neither the service's latency nor its timeout.
  if (target.spec.kind == profile::ProbeSpec::Kind::kPostgres) {
    try {
      libpq_load();
    } catch (const std::exception& e) {
      return fail(std::string("probe failed: ") + e.what());
    }
  }
  auto start = Clock::now();
  timeout = std::max(timeout, std::chrono::milliseconds(1));
  ProbeResult r;
  try {
    r = dispatch(target, timeout, start + timeout, exec);
  } catch (const std::exception& e) {
    r = fail(std::string("probe failed: ") + e.what());
  }
  r.latency = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
  return r;
}

}  // namespace biodev::health
