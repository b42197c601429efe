#include <doctest/doctest.h>

#include "profile/healthcheck_probe.h"

using namespace biodev::profile;
using Kind = ProbeSpec::Kind;

namespace {
// The probe as "kind :port/path" ("-" when not recognised), from a CMD-SHELL string.
std::string shell(const std::string& cmd, const std::vector<std::string>& own = {}) {
  auto p = probe_from_healthcheck({"CMD-SHELL", cmd}, own);
  return p ? describe_probe(*p) : "-";
}
std::string exec_form(std::vector<std::string> args) {
  args.insert(args.begin(), "CMD");
  auto p = probe_from_healthcheck(args);
  return p ? describe_probe(*p) : "-";
}
}  // namespace

TEST_CASE("pg_isready in its spellings") {
  CHECK(shell("pg_isready") == "postgres :5432");
  CHECK(shell("pg_isready -U postgres") == "postgres :5432");
  CHECK(shell("pg_isready -q -h 127.0.0.1 -U bio -d bio") == "postgres :5432");
  CHECK(shell("pg_isready -h localhost -p 6543") == "postgres :6543");
  CHECK(shell("pg_isready --host=localhost --port=5433 --username=app --dbname=app") == "postgres :5433");
  CHECK(shell("pg_isready -p5434") == "postgres :5434");
  CHECK(shell("pg_isready -h /var/run/postgresql") == "postgres :5432");
  CHECK(exec_form({"pg_isready", "-U", "postgres"}) == "postgres :5432");
  CHECK(exec_form({"/usr/bin/pg_isready"}) == "postgres :5432");
  auto p = probe_from_healthcheck({"CMD", "pg_isready", "-U", "app", "-d", "appdb"});
  REQUIRE(p);
  CHECK(p->kind == Kind::kPostgres);
  CHECK(p->user == "app");
  CHECK(p->database == "appdb");
  // Expanded by the container's shell: not known here, so left to the probe's default.
  p = probe_from_healthcheck({"CMD-SHELL", "pg_isready -U ${POSTGRES_USER} -d ${POSTGRES_DB}"});
  REQUIRE(p);
  CHECK(p->user.empty());
  CHECK(p->database.empty());
  // Another host is not this container's readiness.
  CHECK(shell("pg_isready -h db.internal") == "-");
  CHECK(shell("pg_isready -h db", {"db"}) == "postgres :5432");
  CHECK(shell("pg_isready -p $$PGPORT") == "-");
}

TEST_CASE("redis-cli ping") {
  CHECK(shell("redis-cli ping") == "redis :6379");
  CHECK(exec_form({"redis-cli", "ping"}) == "redis :6379");
  CHECK(exec_form({"redis-cli", "--raw", "incr", "ping"}) == "-");
  CHECK(shell("redis-cli -p 6380 ping | grep PONG") == "redis :6380");
  CHECK(shell("redis-cli -h 127.0.0.1 -p 7000 -a secret ping") == "redis :7000");
  CHECK(shell("redis-cli -u redis://localhost:6390 ping") == "redis :6390");
  CHECK(shell("redis-cli -h cache ping") == "-");
  CHECK(shell("redis-cli --tls ping") == "-");
  CHECK(shell("[ \"$(redis-cli ping)\" = 'PONG' ]") == "-");  // a command substitution: unclear
  auto p = probe_from_healthcheck({"CMD", "redis-cli", "-a", "pw", "ping"});
  REQUIRE(p);
  CHECK(p->password == "pw");
}

TEST_CASE("curl of a local URL") {
  CHECK(shell("curl -f http://localhost:8000/health") == "http :8000/health");
  CHECK(shell("curl -f http://localhost:8000/health || exit 1") == "http :8000/health");
  CHECK(shell("curl -fsS http://127.0.0.1:9000/minio/health/live") == "http :9000/minio/health/live");
  CHECK(shell("curl -s -S -f -o /dev/null http://0.0.0.0:8080/") == "http :8080/");
  CHECK(shell("curl --fail --silent http://localhost/ready?full=1") == "http :80/ready?full=1");
  CHECK(shell("curl -fsSL -m 2 http://localhost:3000") == "http :3000/");
  CHECK(shell("curl -f http://[::1]:8081/healthz") == "http :8081/healthz");
  CHECK(shell("curl -s -o /dev/null -w '%{http_code}' http://localhost:8080/health | grep 200") ==
        "http :8080/health");
  // Without --fail any answer passes: the port accepting connections is the equivalent.
  CHECK(shell("curl http://localhost:8080/") == "tcp :8080");
  CHECK(shell("curl -f https://localhost:8443/health") == "-");
  CHECK(shell("curl -f http://other-service:8000/health") == "-");
  CHECK(shell("curl -f http://api:8000/health", {"api"}) == "http :8000/health");
  CHECK(exec_form({"curl", "-f", "http://localhost:9000/minio/health/live"}) == "http :9000/minio/health/live");
  CHECK(shell("curl -f http://localhost:${PORT}/health") == "-");
}

TEST_CASE("wget and nc") {
  CHECK(shell("wget -q --spider http://localhost:6333/readyz") == "http :6333/readyz");
  CHECK(shell("wget -qO- http://localhost:8080/health") == "http :8080/health");
  CHECK(shell("wget --no-verbose --tries=1 --spider http://localhost:3000/api/health || exit 1") ==
        "http :3000/api/health");
  CHECK(exec_form({"wget", "-O", "/dev/null", "-q", "http://127.0.0.1:8000/"}) == "http :8000/");
  CHECK(shell("nc -z localhost 5432") == "tcp :5432");
  CHECK(shell("nc -zv -w 2 127.0.0.1 6379") == "tcp :6379");
  CHECK(exec_form({"nc", "-z", "localhost", "80"}) == "tcp :80");
  CHECK(shell("nc -z db 5432") == "-");
  CHECK(shell("bash -c ':> /dev/tcp/127.0.0.1/6333' || exit 1") == "tcp :6333");
}

TEST_CASE("shell wrappers and chains") {
  CHECK(exec_form({"sh", "-c", "curl -f http://localhost:8000/health || exit 1"}) == "http :8000/health");
  CHECK(exec_form({"/bin/bash", "-ec", "pg_isready -U postgres"}) == "postgres :5432");
  CHECK(shell("sh -c 'redis-cli ping | grep -q PONG'") == "redis :6379");
  CHECK(shell("exec pg_isready") == "postgres :5432");
  CHECK(shell("timeout 5 curl -f http://localhost:8000/") == "http :8000/");
  // Two checks of the same thing are one; of different things, unclear.
  CHECK(shell("pg_isready -p 5432 && pg_isready -p 5432") == "postgres :5432");
  CHECK(shell("pg_isready && redis-cli ping") == "-");
  // Anything biodev cannot see from outside.
  CHECK(shell("pg_isready && psql -U postgres -c 'select 1'") == "-");
  CHECK(exec_form({"mc", "ready", "local"}) == "-");
  CHECK(exec_form({"python", "-c", "import urllib.request"}) == "-");
  CHECK(shell("/healthcheck.sh") == "-");
  CHECK(!probe_from_healthcheck({"NONE"}));
  CHECK(!probe_from_healthcheck({}));
}

TEST_CASE("healthchecks of popular compose files") {
  // docker/awesome-compose, the official images' docs, project READMEs.
  CHECK(shell("pg_isready -U postgres -d postgres") == "postgres :5432");                 // many
  CHECK(shell("pg_isready -U $${POSTGRES_USER:-postgres}") == "postgres :5432");         // supabase-style
  CHECK(exec_form({"redis-cli", "--raw", "incr", "ping"}) == "-");                        // awesome-compose
  CHECK(shell("curl -f http://localhost:9000/minio/health/live") == "http :9000/minio/health/live");  // minio docs
  CHECK(shell("curl --fail http://localhost:8080/health || exit 1") == "http :8080/health");
  CHECK(shell("wget --spider -q http://localhost:8025") == "http :8025/");                // mailhog
  CHECK(shell("curl -s http://localhost:6333/healthz | grep -q 'healthz check passed' || exit 1") ==
        "tcp :6333");                                                                     // qdrant recipes
  CHECK(exec_form({"mysqladmin", "ping", "-h", "localhost"}) == "-");
  CHECK(shell("rabbitmq-diagnostics -q ping") == "-");
}

TEST_CASE("healthcheck_programs names what the image must have") {
  using V = std::vector<std::string>;
  CHECK(healthcheck_programs({"CMD", "curl", "-f", "http://x/"}) == V{"curl"});
  CHECK(healthcheck_programs({"CMD-SHELL", "curl -f http://x/ || exit 1"}) == V{"sh", "curl"});
  CHECK(healthcheck_programs({"CMD-SHELL", "redis-cli ping | grep PONG"}) == V{"sh", "redis-cli", "grep"});
  CHECK(healthcheck_programs({"CMD", "bash", "-c", "wget -q --spider http://x/"}) == V{"bash", "wget"});
  CHECK(healthcheck_programs({"NONE"}).empty());
}

TEST_CASE("an unrecognised healthcheck runs in the container, as long as Docker would try") {
  Healthcheck h;
  h.test = {"CMD", "python3", "/app/healthcheck.py", "--strict"};
  h.interval_ms = 2000;
  h.timeout_ms = 2000;
  h.retries = 15;
  h.start_period_ms = 5000;
  ProbeSpec p = exec_probe_from_healthcheck(h);
  CHECK(p.kind == Kind::kExec);
  CHECK(describe_probe(p) == "exec python3 /app/healthcheck.py --strict");
  CHECK(p.timeout_ms == 65000);

  h.test = {"CMD-SHELL", "test -f /tmp/ready"};
  h.retries = 1;
  p = exec_probe_from_healthcheck(h);
  CHECK(p.command == std::vector<std::string>{"/bin/sh", "-c", "test -f /tmp/ready"});
  CHECK(p.timeout_ms == 60000);  // never shorter than a minute

  h.test = {"NONE"};
  CHECK(exec_probe_from_healthcheck(h).kind == Kind::kNone);
}

TEST_CASE("python's urllib, the curl of slim Python images") {
  CHECK(exec_form({"python3", "-c", "import urllib.request; urllib.request.urlopen('http://localhost:8000/health')"}) ==
        "http :8000/health");
  CHECK(exec_form({"python", "-c",
                   "import urllib.request; urllib.request.urlopen(\"http://127.0.0.1:8000/api/v1/health\", timeout=5)"}) ==
        "http :8000/api/v1/health");
  CHECK(exec_form({"python3", "-c", "from urllib.request import urlopen; urlopen('http://localhost:9000/')"}) ==
        "http :9000/");
  CHECK(shell("python3 -c \"import urllib.request; urllib.request.urlopen('http://localhost:8000/')\" || exit 1") ==
        "http :8000/");
  // Anything else the script does is not read: it runs in the container instead.
  CHECK(exec_form({"python3", "-c", "import urllib.request, sys; sys.exit(0 if urllib.request.urlopen('http://localhost:8000/').status == 200 else 1)"}) == "-");
  CHECK(exec_form({"python3", "-c", "import urllib.request; urllib.request.urlopen('http://db:8000/')"}) == "-");
  CHECK(exec_form({"python3", "/app/healthcheck.py"}) == "-");
}
