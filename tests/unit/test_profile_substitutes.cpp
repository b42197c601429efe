#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "profile/substitutes.h"
#include "util/version.h"

using namespace biodev::profile;

namespace {
std::string sub(const std::string& image, const std::vector<SubstituteRule>& rules = {}) {
  return substitute_image(image, rules).value_or("-");
}
Service service(const std::string& name, const std::string& image) {
  Service s;
  s.name = name;
  s.image = image;
  s.loc = {"compose.yaml", 3, 3};
  return s;
}
PortSpec port(int p) {
  PortSpec ps;
  ps.container_port = p;
  return ps;
}
bool any_contains(const std::vector<std::string>& lines, const std::string& text) {
  for (const auto& l : lines)
    if (l.find(text) != std::string::npos) return true;
  return false;
}
using V = std::vector<std::string>;
}  // namespace

TEST_CASE("built-in substitutes by upstream name") {
  CHECK(sub("postgres:16") == "biodev/postgres:15");
  CHECK(sub("postgres") == "biodev/postgres:15");
  CHECK(sub("docker.io/library/postgres:16-alpine@sha256:0123abcd") == "biodev/postgres:15");
  CHECK(sub("library/postgres:15.4") == "biodev/postgres:15");
  CHECK(sub("postgres@sha256:0123abcd") == "biodev/postgres:15");
  CHECK(sub("redis:7-alpine") == "biodev/redis:7");
  CHECK(sub("redis/redis-stack-server:7.4.0-v1") == "biodev/redis:7");
  CHECK(sub("redis/redis-stack:latest") == "biodev/redis:7");
  CHECK(sub("python:3.12-slim") == "biodev/python:3.11");
  CHECK(sub("minio/minio:RELEASE.2024-10-13T13-34-11Z") == "biodev/s3rver:3.7.1");
  CHECK(sub("quay.io/minio/minio") == "biodev/s3rver:3.7.1");
  CHECK(sub("bitnami/minio:2024") == "biodev/s3rver:3.7.1");
  CHECK(sub("qdrant/qdrant:v1.12.4-unprivileged") == std::string("biodev/runtime:") + biodev::kVersion);
  CHECK(sub("mysql:8") == "-");
  CHECK(sub("ghcr.io/acme/postgres:1") == "-");
  CHECK(sub("postgresql:16") == "-");
}

TEST_CASE("user rules come first, with tags and trailing *") {
  std::vector<SubstituteRule> rules = {{"postgres:16*", "local/pg:16", {}},
                                       {"ghcr.io/acme/*", "mirror.local/acme:dev", {}},
                                       {"docker.io/library/mysql", "local/mysql:8", {}}};
  CHECK(sub("postgres:16.2-alpine", rules) == "local/pg:16");
  CHECK(sub("postgres:15", rules) == "biodev/postgres:15");
  CHECK(sub("ghcr.io/acme/api:1.2", rules) == "mirror.local/acme:dev");
  CHECK(sub("mysql:8.0", rules) == "local/mysql:8");
  CHECK(sub("mysql", rules) == "local/mysql:8");
  CHECK(sub("postgres", {{"postgres:latest", "x/y:z", {}}}) == "x/y:z");
}

TEST_CASE("MinIO: server command line, credentials, console port, curl healthcheck") {
  Service s = service("minio", "minio/minio:RELEASE.2024-10-13T13-34-11Z");
  s.command = {"server", "/data", "--address", ":9000", "--console-address", ":9001"};
  s.env = {{"MINIO_ROOT_USER", "team"}, {"MINIO_ROOT_PASSWORD", "team-secret"}, {"MINIO_BROWSER", "off"}};
  s.ports = {port(9000), port(9001)};
  s.healthcheck = Healthcheck{{"CMD", "curl", "-f", "http://localhost:9000/minio/health/live"}};
  std::vector<std::string> warnings;
  apply_offline_substitute(s, {}, "", &warnings);
  REQUIRE(s.offline);
  const Service& off = *s.offline;
  CHECK(off.image == "biodev/s3rver:3.7.1");
  CHECK(off.substitute_for == "minio/minio:RELEASE.2024-10-13T13-34-11Z");
  CHECK(substitution_text(off) ==
        "minio/minio:RELEASE.2024-10-13T13-34-11Z -> biodev/s3rver:3.7.1 (offline substitute)");
  CHECK(off.command == V{"-d", "/data", "-a", "0.0.0.0", "-p", "9000", "--no-vhost-buckets"});
  CHECK(off.entrypoint.empty());
  CHECK(off.stand_in == "MinIO");
  CHECK(off.user == "0:0");
  CHECK(off.env_value("MINIO_ROOT_USER") == "team");
  REQUIRE(off.healthcheck);
  CHECK(off.healthcheck->test[1] == "node");
  CHECK(off.ready.kind == ProbeSpec::Kind::kHttp);
  CHECK(off.ready.port == 9000);
  CHECK(off.ready.path == "/minio/health/live");
  CHECK(any_contains(warnings, "compose.yaml:3:3: service minio: MinIO's console (port 9001)"));
  CHECK(any_contains(warnings, "ignores MINIO_BROWSER"));
  CHECK(any_contains(warnings, "healthcheck runs curl, which biodev/s3rver:3.7.1 does not have"));
  CHECK(readiness_summary(s, off) ==
        "ready by biodev's probe of http :9000/minio/health/live (healthcheck curl not in the substitute; "
        "Docker's healthcheck replaced by one it can run)");
  // The upstream service itself is untouched.
  CHECK(s.image == "minio/minio:RELEASE.2024-10-13T13-34-11Z");
  CHECK(s.stand_in.empty());
}

TEST_CASE("MinIO: sh -c wrapper, --address=, default credentials, mc healthcheck") {
  Service s = service("s3", "quay.io/minio/minio");
  s.entrypoint = {"sh", "-c"};
  s.command = {"mkdir -p /export/bucket && minio server /export --address=0.0.0.0:9100"};
  s.healthcheck = Healthcheck{{"CMD", "mc", "ready", "local"}};
  std::vector<std::string> warnings;
  apply_offline_substitute(s, {}, "", &warnings);
  REQUIRE(s.offline);
  CHECK(s.offline->command == V{"-d", "/export", "-a", "0.0.0.0", "-p", "9100", "--no-vhost-buckets"});
  CHECK(s.offline->env_value("MINIO_ROOT_USER") == "minioadmin");
  CHECK(s.offline->env_value("MINIO_ROOT_PASSWORD") == "minioadmin");
  CHECK(any_contains(warnings, "`mkdir -p /export/bucket` is not run"));
  REQUIRE(s.offline->healthcheck);
  CHECK(s.offline->ready.port == 9100);
  CHECK(s.offline->ready.path == "/minio/health/live");
}

TEST_CASE("Qdrant: the stand-in, its ports and the variables it ignores") {
  Service s = service("qdrant", "qdrant/qdrant:v1.12.4");
  s.ports = {port(6333), port(6334)};
  s.env = {{"QDRANT__LOG_LEVEL", "INFO"}, {"QDRANT__STORAGE__STORAGE_PATH", "/qdrant/storage"}};
  s.healthcheck = Healthcheck{{"CMD-SHELL", "wget -q --spider http://localhost:6333/readyz || exit 1"}};
  std::vector<std::string> warnings;
  apply_offline_substitute(s, {}, "", &warnings);
  REQUIRE(s.offline);
  const Service& off = *s.offline;
  CHECK(off.image == std::string("biodev/runtime:") + biodev::kVersion);
  CHECK(off.command == V{"serve", "qdrant-standin"});
  CHECK(off.stand_in == "Qdrant");
  REQUIRE(off.healthcheck);
  CHECK(off.healthcheck->test == V{"CMD", "/usr/local/bin/biodev", "probe", "http://127.0.0.1:6333/readyz"});
  CHECK(off.ready.path == "/readyz");
  CHECK(any_contains(warnings, "gRPC port 6334 is not served"));
  CHECK(any_contains(warnings, "ignores QDRANT__LOG_LEVEL"));
  CHECK(!any_contains(warnings, "STORAGE_PATH"));
  CHECK(any_contains(warnings, "healthcheck runs sh, wget"));
}

TEST_CASE("Redis, Redis Stack, Postgres, Python") {
  Service r = service("cache", "redis:7-alpine");
  r.command = {"redis-server", "/usr/local/etc/redis/redis.conf", "--appendonly", "yes"};
  r.healthcheck = Healthcheck{{"CMD", "redis-cli", "ping"}};
  apply_offline_substitute(r, {}, "");
  REQUIRE(r.offline);
  CHECK(r.offline->command == r.command);
  CHECK(r.offline->healthcheck->test == r.healthcheck->test);  // redis-cli is in the substitute

  Service st = service("stack", "redis/redis-stack-server:7.4.0-v1");
  st.env = {{"REDIS_ARGS", "--requirepass 'pw 1' --save ''"}};
  std::vector<std::string> warnings;
  apply_offline_substitute(st, {}, "", &warnings);
  REQUIRE(st.offline);
  CHECK(st.offline->command == V{"redis-server", "--requirepass", "pw 1", "--save", ""});
  CHECK(any_contains(warnings, "modules"));
  CHECK(any_contains(warnings, "answer an error that names the missing module"));
  CHECK(st.offline->env_value("BIODEV_REDIS_STACK") == "1");  // the image loads its module stand-in
  CHECK(st.offline->stand_in == "Redis Stack, without its modules");
  CHECK(r.offline->env_value("BIODEV_REDIS_STACK").empty());  // plain Redis: unknown command, as upstream

  Service pg = service("db", "postgres:16");
  pg.env = {{"POSTGRES_PASSWORD", "pw"}};
  pg.healthcheck = Healthcheck{{"CMD-SHELL", "pg_isready -U postgres"}};
  pg.ready.kind = ProbeSpec::Kind::kPostgres;
  pg.ready.port = 5432;
  apply_offline_substitute(pg, {}, "");
  REQUIRE(pg.offline);
  CHECK(pg.offline->image == "biodev/postgres:15");
  CHECK(pg.offline->env == pg.env);
  CHECK(pg.offline->healthcheck->test == pg.healthcheck->test);
  CHECK(readiness_summary(pg, *pg.offline) ==
        "ready by biodev's probe of postgres :5432 (the same check as its healthcheck, which Docker also runs)");

  Service py = service("api", "python:3.12-slim");
  py.healthcheck = Healthcheck{{"CMD", "curl", "-f", "http://localhost:8000/health"}};
  warnings.clear();
  apply_offline_substitute(py, {}, "", &warnings);
  REQUIRE(py.offline);
  CHECK(py.offline->image == "biodev/python:3.11");
  CHECK(py.offline->healthcheck->test[1] == "python3");
  CHECK(py.offline->user == "0:0");
  CHECK(any_contains(warnings, "Python 3.11 stands in for 3.12"));
}

TEST_CASE("what is left alone") {
  Service own = service("x", "mysql:8");
  apply_offline_substitute(own, {}, "");
  CHECK(!own.offline);
  Service built = service("api", "postgres:16");
  built.build = BuildSpec{};
  apply_offline_substitute(built, {}, "");
  CHECK(!built.offline);
  Service local = service("db", "biodev/postgres:15");
  apply_offline_substitute(local, {}, "");
  CHECK(!local.offline);
  Service already = service("db", "postgres:16");
  auto off = std::make_shared<Service>(already);
  off->image = "mine/pg:16";
  already.offline = off;
  apply_offline_substitute(already, {}, "");
  CHECK(already.offline->image == "mine/pg:16");
  // A user's mirror: the image swapped, nothing adapted.
  Service mirrored = service("db", "postgres:16");
  mirrored.healthcheck = Healthcheck{{"CMD", "curl", "-f", "http://localhost:8080/"}};
  apply_offline_substitute(mirrored, {{"postgres", "mirror/pg:16", {}}}, "");
  REQUIRE(mirrored.offline);
  CHECK(mirrored.offline->image == "mirror/pg:16");
  CHECK(mirrored.offline->healthcheck->test == mirrored.healthcheck->test);
}

TEST_CASE("BIODEV_SUBSTITUTES: a file of rules, relative to the project") {
  char dir[] = "/tmp/biodev-subst-XXXXXX";
  REQUIRE(mkdtemp(dir));
  std::string d = dir;
  std::ofstream(d + "/subs.yaml") << "substitutes:\n  \"ghcr.io/acme/api:*\": registry.local/acme/api:1\n";
  std::ofstream(d + "/bad.yaml") << "postgres: [1, 2]\n";
  setenv("BIODEV_SUBSTITUTES", "subs.yaml", 1);
  auto rules = substitute_rules_from_env(d);
  REQUIRE(rules.size() == 1);
  CHECK(rules[0].image == "registry.local/acme/api:1");
  CHECK(rules[0].loc.line == 2);
  Service s = service("api", "ghcr.io/acme/api:2");
  apply_offline_substitute(s, {}, d);
  REQUIRE(s.offline);
  CHECK(s.offline->image == "registry.local/acme/api:1");
  setenv("BIODEV_SUBSTITUTES", "bad.yaml", 1);
  try {
    substitute_rules_from_env(d);
    FAIL("a bad file must be an error");
  } catch (const ProfileError& e) {
    CHECK(std::string(e.what()).find(d + "/bad.yaml:1:") != std::string::npos);
  }
  setenv("BIODEV_SUBSTITUTES", "missing.yaml", 1);
  CHECK_THROWS_AS(substitute_rules_from_env(d), ProfileError);
  unsetenv("BIODEV_SUBSTITUTES");
  std::remove((d + "/subs.yaml").c_str());
  std::remove((d + "/bad.yaml").c_str());
  rmdir(dir);
}
