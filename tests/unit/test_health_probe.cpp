// Readiness probes against real servers on loopback: Asio listeners, fake RESP and
// PostgreSQL responders, and a throwaway PostgreSQL cluster when its binaries exist.
#include <doctest/doctest.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "health/probe.h"
#include "util/asio.h"

using namespace biodev;
using namespace biodev::health;
using namespace std::chrono_literals;
using tcp = net::ip::tcp;
using Kind = profile::ProbeSpec::Kind;

namespace {

ProbeTarget target(Kind kind, int port, std::string host = "127.0.0.1") {
  ProbeTarget t;
  t.spec.kind = kind;
  t.host = std::move(host);
  t.port = port;
  return t;
}

int closed_port() {
  net::io_context ctx;
  tcp::acceptor a(ctx, {net::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

double ms(std::chrono::microseconds us) { return static_cast<double>(us.count()) / 1000.0; }

// Accepts one connection and hands it to `converse` on a thread.
class FakeServer {
 public:
  explicit FakeServer(std::function<void(tcp::socket&)> converse)
      : acceptor_(ctx_, {net::ip::make_address("127.0.0.1"), 0}) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this, converse] {
      tcp::socket s(ctx_);
      boost::system::error_code ec;
      acceptor_.accept(s, ec);
      if (!ec && !stopping_) converse(s);
    });
  }
  ~FakeServer() {
    stopping_ = true;
    {  // unblock accept() if nobody came
      boost::system::error_code ec;
      tcp::socket poke(ctx_);
      poke.connect(acceptor_.local_endpoint(), ec);
    }
    thread_.join();
  }
  int port() const { return port_; }

 private:
  net::io_context ctx_;
  tcp::acceptor acceptor_;
  std::atomic<bool> stopping_{false};
  int port_ = 0;
  std::thread thread_;
};

void http_reply(tcp::socket& s, int status) {
  beast::flat_buffer buf;
  http::request<http::string_body> req;
  boost::system::error_code ec;
  http::read(s, buf, req, ec);
  http::response<http::string_body> res{static_cast<http::status>(status), 11};
  if (status != 204) res.body() = "x";
  res.prepare_payload();
  http::write(s, res, ec);
}

void redis_reply(tcp::socket& s, std::string line) {
  std::string in;
  boost::system::error_code ec;
  net::read_until(s, net::dynamic_buffer(in), "PING\r\n", ec);
  net::write(s, net::buffer(line), ec);
}

// Reads a PostgreSQL StartupMessage and answers with `reply` bytes.
void pg_reply(tcp::socket& s, const std::string& reply) {
  boost::system::error_code ec;
  unsigned char len[4];
  net::read(s, net::buffer(len), ec);
  std::string rest((len[0] << 24 | len[1] << 16 | len[2] << 8 | len[3]) - 4, '\0');
  net::read(s, net::buffer(rest), ec);
  net::write(s, net::buffer(reply), ec);
  char sink[256];
  s.read_some(net::buffer(sink), ec);  // until the client hangs up
}

std::string pg_message(char type, const std::string& payload) {
  uint32_t n = static_cast<uint32_t>(payload.size() + 4);
  std::string m(1, type);
  for (int shift : {24, 16, 8, 0}) m += static_cast<char>((n >> shift) & 0xff);
  return m + payload;
}

std::string pg_error(const std::string& code, const std::string& text) {
  using namespace std::string_literals;
  return pg_message('E', "SFATAL\0VFATAL\0C"s + code + '\0' + "M" + text + '\0' + '\0');
}

}  // namespace

TEST_CASE("tcp probe: listening, refused (fast), no port") {
  net::io_context ctx;
  tcp::acceptor a(ctx, {net::ip::make_address("127.0.0.1"), 0});
  auto ok = probe_once(target(Kind::kTcp, a.local_endpoint().port()), 500ms);
  CHECK(ok.ok);
  CHECK(ok.detail == "accepting connections");
  CHECK(ok.latency > 0us);

  int port = closed_port();
  std::vector<double> lat;
  for (int i = 0; i < 50; ++i) {
    auto r = probe_once(target(Kind::kTcp, port), 500ms);
    CHECK_FALSE(r.ok);
    CHECK(r.detail == "connection refused");
    lat.push_back(ms(r.latency));
  }
  std::sort(lat.begin(), lat.end());
  MESSAGE("refused tcp probe: median " << lat[25] << " ms, max " << lat.back() << " ms");
  CHECK(lat[25] < 1.0);

  CHECK(probe_once(target(Kind::kTcp, 0), 100ms).detail == "no port to probe");
  CHECK(probe_once(target(Kind::kTcp, a.local_endpoint().port(), "localhost"), 500ms).ok);
}

TEST_CASE("http probe: status rules") {
  auto run = [](int status, int expect) {
    FakeServer fake([status](tcp::socket& s) { http_reply(s, status); });
    auto t = target(Kind::kHttp, fake.port());
    t.spec.path = "/health";
    t.spec.expect_status = expect;
    return probe_once(t, 1s);
  };
  auto r200 = run(200, 200);
  CHECK(r200.ok);
  CHECK(r200.detail == "HTTP 200");
  CHECK(run(204, 200).ok);  // any 2xx when 200 is expected
  auto r503 = run(503, 200);
  CHECK_FALSE(r503.ok);
  CHECK(r503.detail == "HTTP 503");
  CHECK(run(401, 401).ok);
  CHECK_FALSE(run(200, 401).ok);
  CHECK(probe_once(target(Kind::kHttp, closed_port()), 200ms).detail == "connection refused");
}

TEST_CASE("http probe honours the timeout to the millisecond") {
  net::io_context ctx;  // accepts into the backlog, never answers
  tcp::acceptor silent(ctx, {net::ip::make_address("127.0.0.1"), 0});
  auto r = probe_once(target(Kind::kHttp, silent.local_endpoint().port()), 100ms);
  CHECK_FALSE(r.ok);
  CHECK(r.detail == "timed out after 100ms (waiting for the HTTP response)");
  MESSAGE("silent http probe with 100ms timeout took " << ms(r.latency) << " ms");
  CHECK(r.latency >= 100ms);
  CHECK(r.latency < 150ms);  // slack for a loaded machine; the point is no 2 s floor
}

TEST_CASE("redis probe: PONG, NOAUTH, LOADING") {
  auto run = [](std::string line) {
    FakeServer fake([line](tcp::socket& s) { redis_reply(s, line); });
    return probe_once(target(Kind::kRedis, fake.port()), 1s);
  };
  auto pong = run("+PONG\r\n");
  CHECK(pong.ok);
  auto noauth = run("-NOAUTH Authentication required.\r\n");
  CHECK(noauth.ok);
  CHECK(noauth.detail == "accepting connections (authentication required)");
  auto loading = run("-LOADING Redis is loading the dataset in memory\r\n");
  CHECK_FALSE(loading.ok);
  CHECK(loading.detail == "loading the dataset");
  auto other = run("-DENIED protected mode\r\n");
  CHECK_FALSE(other.ok);
  CHECK(other.detail == "redis: DENIED protected mode");
  CHECK_FALSE(run("garbage\r\n").ok);
}

TEST_CASE("postgres probe against fake servers") {
  SUBCASE("refused, fast") {
    auto r = probe_once(target(Kind::kPostgres, closed_port()), 500ms);
    CHECK_FALSE(r.ok);
    CHECK(r.detail == "connection refused");
    MESSAGE("refused postgres probe took " << ms(r.latency) << " ms");
    CHECK(r.latency < 5ms);
  }
  SUBCASE("starting up is not ready") {
    FakeServer fake([](tcp::socket& s) {
      pg_reply(s, pg_error("57P03", "the database system is starting up"));
    });
    auto r = probe_once(target(Kind::kPostgres, fake.port()), 1s);
    CHECK_FALSE(r.ok);
    CHECK(r.detail == "the database system is starting up");
  }
  SUBCASE("an authentication failure means the server is up") {
    FakeServer fake([](tcp::socket& s) {
      pg_reply(s, pg_error("28P01", "password authentication failed for user \"x\""));
    });
    auto r = probe_once(target(Kind::kPostgres, fake.port()), 1s);
    CHECK(r.ok);
    CHECK(r.detail == "accepting connections (password authentication failed for user \"x\")");
  }
  SUBCASE("a password request means the server is up") {
    using namespace std::string_literals;
    FakeServer fake(
        [](tcp::socket& s) { pg_reply(s, pg_message('R', "\0\0\0\x0a"s + "SCRAM-SHA-256\0\0"s)); });
    auto r = probe_once(target(Kind::kPostgres, fake.port()), 1s);
    CHECK(r.ok);
    CHECK(r.detail == "accepting connections (password required)");
  }
  SUBCASE("a silent server times out on time") {
    net::io_context ctx;
    tcp::acceptor silent(ctx, {net::ip::make_address("127.0.0.1"), 0});
    auto r = probe_once(target(Kind::kPostgres, silent.local_endpoint().port()), 80ms);
    CHECK_FALSE(r.ok);
    CHECK(r.detail.starts_with("timed out after 80ms"));
    CHECK(r.latency >= 80ms);
    CHECK(r.latency < 130ms);
  }
}

TEST_CASE("exec and none probes") {
  auto t = target(Kind::kExec, 0);
  t.spec.command = {"pg_isready"};
  CHECK_FALSE(probe_once(t, 1s).ok);  // no runner
  CHECK(probe_once(t, 1s).detail.find("no runner") != std::string::npos);
  CHECK(probe_once(t, 1s, [](const std::vector<std::string>& c) {
          return c[0] == "pg_isready" ? 0 : 9;
        }).ok);
  auto bad = probe_once(t, 1s, [](const std::vector<std::string>&) { return 3; });
  CHECK_FALSE(bad.ok);
  CHECK(bad.detail == "exit 3");
  auto thrown = probe_once(
      t, 1s, [](const std::vector<std::string>&) -> int { throw std::runtime_error("no engine"); });
  CHECK_FALSE(thrown.ok);
  CHECK(thrown.detail == "exec failed: no engine");
  auto none = probe_once(target(Kind::kNone, 0), 1s);
  CHECK(none.ok);
  CHECK(none.detail == "no probe");
}

// A real cluster: initdb + postgres from the Debian packages, when installed.
TEST_CASE("postgres probe against a real server") {
  const std::string bin = "/usr/lib/postgresql/15/bin";
  if (!std::filesystem::exists(bin + "/initdb")) {
    MESSAGE("skipped: no " << bin << "/initdb (apt-get install postgresql-15)");
    return;
  }
  // initdb refuses to run as root; run the server as the postgres user then.
  std::string as = "";
  passwd* pg_user = ::geteuid() == 0 ? ::getpwnam("postgres") : nullptr;
  if (::geteuid() == 0) {
    if (!pg_user) {
      MESSAGE("skipped: running as root and there is no postgres user");
      return;
    }
    as = "runuser -u postgres -- ";
  }
  char tmpl[] = "/tmp/biodev-pgprobe-XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  if (pg_user) REQUIRE(::chown(dir.c_str(), pg_user->pw_uid, pg_user->pw_gid) == 0);
  int port = closed_port();
  std::string data = dir + "/data";
  REQUIRE(std::system((as + bin + "/initdb -D " + data + " -A trust -U postgres >" + dir +
                       "/initdb.log 2>&1")
                          .c_str()) == 0);
  {
    std::ofstream hba(data + "/pg_hba.conf");
    hba << "host all needpw 127.0.0.1/32 scram-sha-256\nhost all all 127.0.0.1/32 trust\n";
  }
  std::string ctl = as + bin + "/pg_ctl -D " + data + " -l " + dir + "/server.log ";
  REQUIRE(std::system((ctl + "-o '-p " + std::to_string(port) + " -k " + dir +
                       " -c listen_addresses=127.0.0.1' -w start >/dev/null")
                          .c_str()) == 0);

  auto t = target(Kind::kPostgres, port);
  auto up = probe_once(t, 2s);
  CHECK(up.ok);
  CHECK(up.detail == "accepting connections");
  MESSAGE("postgres probe (ok) took " << ms(up.latency) << " ms");

  t.spec.database = "nope";
  auto nodb = probe_once(t, 2s);
  CHECK(nodb.ok);
  CHECK(nodb.detail.find("does not exist") != std::string::npos);

  t.spec.database = "";
  t.spec.user = "needpw";
  auto pw = probe_once(t, 2s);
  CHECK(pw.ok);
  CHECK(pw.detail == "accepting connections (password required)");

  std::system((ctl + "-m immediate stop >/dev/null").c_str());
  auto down = probe_once(target(Kind::kPostgres, port), 500ms);
  CHECK_FALSE(down.ok);
  CHECK(down.detail == "connection refused");
  std::filesystem::remove_all(dir);
}
