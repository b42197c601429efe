#include "profile/substitute_contracts.h"

#include <algorithm>
#include <optional>
#include <set>

#include "profile/healthcheck_probe.h"
#include "profile/shell_words.h"
#include "util/strings.h"
#include "util/version.h"

namespace biodev::profile {
namespace {

using Words = std::vector<std::string>;
using Family = SubstituteFamily;

void set_env(Service& s, const std::string& key, const std::string& value) {
  for (auto& [k, v] : s.env)
    if (k == key) {
      v = value;
      return;
    }
  s.env.emplace_back(key, value);
}

bool has_env(const Service& s, const std::string& key) {
  return std::any_of(s.env.begin(), s.env.end(), [&](const auto& kv) { return kv.first == key; });
}

bool publishes(const Service& s, int container_port) {
  return std::any_of(s.ports.begin(), s.ports.end(), [&](const PortSpec& p) { return p.container_port == container_port; });
}

int port_or(const std::string& text, int fallback) {
  std::string digits = text.substr(text.rfind(':') == std::string::npos ? 0 : text.rfind(':') + 1);
  if (digits.empty() || digits.size() > 5 || !std::all_of(digits.begin(), digits.end(), ::isdigit)) return fallback;
  int p = std::stoi(digits);
  return p > 0 && p < 65536 ? p : fallback;
}

// The words a service runs: entrypoint then command, with `sh -c 'a && minio server x'`
// opened to the simple command whose program is `program` (the rest is reported).
Words main_command(const Service& s, const std::set<std::string>& programs, std::vector<std::string>& notes) {
  Words words = s.entrypoint;
  words.insert(words.end(), s.command.begin(), s.command.end());
  std::string prog = words.empty() ? "" : program_name(words[0]);
  if (prog != "sh" && prog != "bash") return words;
  std::string script;
  for (size_t k = 1; k + 1 < words.size(); ++k)
    if (words[k].starts_with("-") && words[k].find('c') != std::string::npos) script = words[k + 1];
  Words found;
  for (const Words& c : simple_commands(split_shell_words(script))) {
    if (found.empty() && programs.count(program_name(c[0]))) found = c;
    else notes.push_back("the substitute runs only the server of its command: `" + join(c, " ") + "` is not run");
  }
  return found;
}

const std::set<std::string> kMinbase = {"sh", "bash", "cat", "grep", "egrep", "fgrep", "sed", "head", "tail",
                                        "wc", "sleep", "env", "ls", "test", "[", "echo", "printf", "true",
                                        "false", "timeout", "awk", "mawk", "kill", "id", "gzip"};

bool image_has(Family f, const std::string& program) {
  static const std::set<std::string> pg = {"pg_isready", "psql", "postgres", "pg_ctl", "initdb"};
  static const std::set<std::string> redis = {"redis-cli", "redis-server"};
  static const std::set<std::string> node = {"node", "s3rver"};
  static const std::set<std::string> python = {"python3", "python", "python3.11"};
  switch (f) {
    case Family::kQdrant: return program == "biodev";  // biodev/runtime: no shell at all
    case Family::kPostgres: return kMinbase.count(program) || pg.count(program);
    case Family::kRedis:
    case Family::kRedisStack: return kMinbase.count(program) || redis.count(program);
    case Family::kMinio: return kMinbase.count(program) || node.count(program);
    case Family::kPython: return kMinbase.count(program) || python.count(program);
    case Family::kNone: return true;
  }
  return true;
}

// A healthcheck the substitute can run that checks what `p` checks.
std::optional<Words> check_command(Family f, const ProbeSpec& p) {
  std::string port = std::to_string(p.port);
  std::string url = "http://127.0.0.1:" + port + p.path;
  using K = ProbeSpec::Kind;
  if (f == Family::kQdrant) {
    std::string scheme = p.kind == K::kHttp ? url : p.kind == K::kTcp ? "tcp://127.0.0.1:" + port : "";
    if (scheme.empty()) return std::nullopt;
    return Words{"CMD", "/usr/local/bin/biodev", "probe", scheme};
  }
  if (f == Family::kMinio && p.kind == K::kHttp)
    return Words{"CMD", "node", "-e",
                 "require('http').get('" + url + "', r => process.exit(r.statusCode < 400 ? 0 : 1))"
                 ".on('error', () => process.exit(1))"};
  if (f == Family::kMinio && p.kind == K::kTcp)
    return Words{"CMD", "node", "-e",
                 "require('net').connect(" + port + ", '127.0.0.1', () => process.exit(0))"
                 ".on('error', () => process.exit(1))"};
  if (f == Family::kPython && p.kind == K::kHttp)
    return Words{"CMD", "python3", "-c", "import urllib.request; urllib.request.urlopen('" + url + "', timeout=5)"};
  if (f == Family::kPython && p.kind == K::kTcp)
    return Words{"CMD", "python3", "-c", "import socket; socket.create_connection(('127.0.0.1', " + port + "), 5)"};
  if (f == Family::kPostgres && p.kind == K::kPostgres) return Words{"CMD", "pg_isready", "-q", "-h", "/tmp", "-p", port};
  if ((f == Family::kRedis || f == Family::kRedisStack) && p.kind == K::kRedis)
    return Words{"CMD", "redis-cli", "-p", port, "ping"};
  if (p.kind == K::kTcp && f != Family::kNone)  // bash, in every Debian-based substitute
    return Words{"CMD", "bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/" + port};
  return std::nullopt;
}

// What the substitute's own readiness is when its healthcheck says nothing biodev reads.
std::optional<ProbeSpec> family_probe(Family f, const Service& off) {
  ProbeSpec p;
  if (f == Family::kMinio) {
    p.kind = ProbeSpec::Kind::kHttp;
    p.port = port_or(off.command.size() > 5 ? off.command[5] : "", 9000);  // "-p", PORT
    p.path = "/minio/health/live";
  } else if (f == Family::kQdrant) {
    p.kind = ProbeSpec::Kind::kHttp;
    p.port = port_or(off.env_value("QDRANT__SERVICE__HTTP_PORT"), 6333);
    p.path = "/readyz";
  } else {
    return std::nullopt;
  }
  return p;
}

// A healthcheck whose programs the substitute lacks would leave the service unhealthy
// for ever: replaced by one it can run of the same check (or dropped), and biodev's own
// probe of it decides readiness.
void adapt_healthcheck(Service& off, Family f, std::vector<std::string>& notes) {
  auto fallback = family_probe(f, off);
  bool checks = off.healthcheck && !off.healthcheck->test.empty() && off.healthcheck->test[0] != "NONE";
  if (!checks) {
    if (off.ready.kind == ProbeSpec::Kind::kNone && fallback) off.ready = *fallback;
    return;
  }
  Words missing = missing_programs(f, off.healthcheck->test);
  if (missing.empty()) return;
  // Readiness taken from the healthcheck itself (none, or an exec probe of its test)
  // follows the replacement; a ready: of the user's own stays.
  bool derived = off.ready.kind == ProbeSpec::Kind::kNone ||
                 (off.ready.kind == ProbeSpec::Kind::kExec &&
                  off.ready.command == exec_probe_from_healthcheck(*off.healthcheck).command);
  std::vector<std::string> own = {off.name};
  if (!off.hostname.empty()) own.push_back(off.hostname);
  auto probe = probe_from_healthcheck(off.healthcheck->test, own);
  if (!probe) probe = fallback;
  std::optional<Words> cmd = probe ? check_command(f, *probe) : std::nullopt;
  std::string what = "healthcheck runs " + join(missing, ", ") + ", which " + off.image + " does not have: ";
  if (cmd) {
    off.healthcheck->test = *cmd;
    what += "replaced by one it can run";
  } else {
    off.healthcheck.reset();
    what += "dropped";
  }
  if (derived) {
    int timeout = off.ready.timeout_ms;
    off.ready = probe ? *probe : ProbeSpec{};
    off.ready.timeout_ms = timeout;
  }
  if (off.ready.kind != ProbeSpec::Kind::kNone) what += "; biodev's probe of " + describe_probe(off.ready) + " decides readiness";
  notes.push_back(what);
}

void adapt_minio(Service& off, bool bitnami, std::vector<std::string>& notes) {
  Words words = main_command(off, {"minio", "server"}, notes);
  if (!words.empty() && program_name(words[0]) == "minio") words.erase(words.begin());
  std::string data = bitnami ? "/bitnami/minio/data" : "/data";
  int port = bitnami ? port_or(off.env_value("MINIO_API_PORT_NUMBER"), 9000) : 9000;
  int console = bitnami ? port_or(off.env_value("MINIO_CONSOLE_PORT_NUMBER"), 9001) : 0;
  if (!words.empty() && words[0] == "server") {
    Words dirs;
    static const std::set<std::string> with_value = {"--address", "--console-address", "--certs-dir", "-S",
                                                     "--config-dir", "--ftp", "--sftp"};
    for (size_t i = 1; i < words.size(); ++i) {
      std::string w = words[i], value;
      if (!w.starts_with("-")) {
        dirs.push_back(w);
        continue;
      }
      size_t eq = w.find('=');
      if (eq != std::string::npos) value = w.substr(eq + 1), w = w.substr(0, eq);
      else if (with_value.count(w) && i + 1 < words.size()) value = words[++i];
      if (w == "--address") port = port_or(value, 9000);
      else if (w == "--console-address") console = port_or(value, 9001);
      else notes.push_back("MinIO's " + w + " is not honoured by the s3rver stand-in");
    }
    if (!dirs.empty()) data = dirs[0];
    if (dirs.size() > 1 || data.find("{") != std::string::npos)
      notes.push_back("the s3rver stand-in serves one directory (" + data + "), not MinIO's erasure set");
  } else if (!bitnami) {
    notes.push_back("no `server DIR` command: the s3rver stand-in serves " + data);
  }
  off.entrypoint.clear();
  off.command = {"-d", data, "-a", "0.0.0.0", "-p", std::to_string(port), "--no-vhost-buckets"};
  if (console && publishes(off, console))
    notes.push_back("MinIO's console (port " + std::to_string(console) + ") is not served by the s3rver stand-in");
  // MinIO's defaults when the file sets no credentials (Bitnami's differ).
  if (!has_env(off, "MINIO_ROOT_USER") && !has_env(off, "MINIO_ACCESS_KEY")) {
    set_env(off, "MINIO_ROOT_USER", bitnami ? "minio" : "minioadmin");
    set_env(off, "MINIO_ROOT_PASSWORD", bitnami ? "miniosecret" : "minioadmin");
  }
  static const std::set<std::string> honoured = {"MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD", "MINIO_ACCESS_KEY",
                                                 "MINIO_SECRET_KEY", "MINIO_API_PORT_NUMBER",
                                                 "MINIO_CONSOLE_PORT_NUMBER"};
  Words ignored;
  for (const auto& [k, v] : off.env)
    if (k.starts_with("MINIO_") && !honoured.count(k)) ignored.push_back(k);
  if (!ignored.empty()) notes.push_back("the s3rver stand-in ignores " + join(ignored, ", "));
  if (off.user.empty()) off.user = "0:0";  // MinIO runs as root: a root-owned volume stays writable
  off.stand_in = "MinIO";
}

void adapt_qdrant(Service& off, std::vector<std::string>& notes) {
  if (!off.command.empty() || !off.entrypoint.empty())
    notes.push_back("the Qdrant stand-in does not run the command `" + join(off.entrypoint, " ") +
                    (off.entrypoint.empty() ? "" : " ") + join(off.command, " ") + "`");
  off.entrypoint.clear();
  off.command = {"serve", "qdrant-standin"};
  static const std::set<std::string> honoured = {"QDRANT__SERVICE__HTTP_PORT", "QDRANT__STORAGE__STORAGE_PATH",
                                                 "QDRANT__STORAGE__SNAPSHOTS_PATH"};
  Words ignored;
  for (const auto& [k, v] : off.env)
    if (k.starts_with("QDRANT__") && !honoured.count(k)) ignored.push_back(k);
  if (!ignored.empty()) notes.push_back("the Qdrant stand-in ignores " + join(ignored, ", "));
  int grpc = port_or(off.env_value("QDRANT__SERVICE__GRPC_PORT"), 6334);
  if (publishes(off, grpc))
    notes.push_back("Qdrant's gRPC port " + std::to_string(grpc) + " is not served by the stand-in (REST on " +
                    std::to_string(port_or(off.env_value("QDRANT__SERVICE__HTTP_PORT"), 6333)) + " only)");
  for (const auto& m : off.mounts)
    if (m.target.starts_with("/qdrant/config")) notes.push_back("the Qdrant stand-in does not read " + m.target);
  if (off.user.empty()) off.user = "0:0";  // qdrant/qdrant runs as root
  off.stand_in = "Qdrant";
}

void adapt_redis(Service& off, bool stack, std::vector<std::string>& notes) {
  if (!off.command.empty() && program_name(off.command[0]) == "redis-stack-server") off.command[0] = "redis-server";
  if (!stack) return;
  // redis-stack-server's REDIS_ARGS are redis-server flags.
  std::string args = off.env_value("REDIS_ARGS");
  if (!args.empty()) {
    if (off.command.empty()) off.command = {"redis-server"};
    for (const auto& t : split_shell_words(args))
      if (!t.is_operator) off.command.push_back(t.text);
  }
  notes.push_back(
      "Redis Stack runs as plain Redis 7: its modules (search, JSON, time series, bloom) are missing, and their "
      "commands (JSON.*, FT.*, TS.*, BF.*, ...) answer an error that names the missing module");
  if (publishes(off, 8001)) notes.push_back("RedisInsight (port 8001) is not served by the substitute");
  set_env(off, "BIODEV_REDIS_STACK", "1");  // the image's entrypoint loads the module stand-in
  off.stand_in = "Redis Stack, without its modules";
}

// "16-alpine" -> "16", "3.12-slim" -> "3.12" (`parts` dot-separated numbers).
std::string version_of(const std::string& tag, int parts) {
  std::string out;
  int seen = 0;
  for (char c : tag) {
    if (std::isdigit(static_cast<unsigned char>(c))) out += c;
    else if (c == '.' && ++seen < parts) out += c;
    else break;
  }
  return out;
}

}  // namespace

SubstituteFamily family_of_repo(const std::string& repo) {
  if (repo == "postgres") return Family::kPostgres;
  if (repo == "redis") return Family::kRedis;
  if (repo == "redis/redis-stack-server" || repo == "redis/redis-stack") return Family::kRedisStack;
  if (repo == "python") return Family::kPython;
  if (repo == "minio/minio" || repo == "quay.io/minio/minio" || repo == "bitnami/minio") return Family::kMinio;
  if (repo == "qdrant/qdrant") return Family::kQdrant;
  return Family::kNone;
}

std::string builtin_image(SubstituteFamily f) {
  switch (f) {
    case Family::kPostgres: return "biodev/postgres:15";
    case Family::kRedis:
    case Family::kRedisStack: return "biodev/redis:7";
    case Family::kPython: return "biodev/python:3.11";
    case Family::kMinio: return "biodev/s3rver:3.7.1";
    case Family::kQdrant: return std::string("biodev/runtime:") + kVersion;
    case Family::kNone: return "";
  }
  return "";
}

void adapt_to_contract(Service& off, SubstituteFamily f, const std::string& tag, std::vector<std::string>& notes) {
  switch (f) {
    case Family::kPostgres: {
      std::string major = version_of(tag, 1);
      bool data = std::any_of(off.mounts.begin(), off.mounts.end(),
                              [](const MountSpec& m) { return m.target.starts_with("/var/lib/postgresql"); });
      if (data && !major.empty() && major != "15")
        notes.push_back("PostgreSQL 15 stands in for " + major + ": a data directory made by " + major +
                        " does not open in 15 (keep the two variants' data apart)");
      if (has_env(off, "POSTGRES_INITDB_WALDIR")) notes.push_back("POSTGRES_INITDB_WALDIR is not honoured");
      break;
    }
    case Family::kRedis: adapt_redis(off, false, notes); break;
    case Family::kRedisStack: adapt_redis(off, true, notes); break;
    case Family::kPython: {
      std::string v = version_of(tag, 2);
      if (!v.empty() && v != "3.11" && v != "3") notes.push_back("Python 3.11 stands in for " + v);
      if (off.user.empty()) off.user = "0:0";           // as python:* runs
      if (off.working_dir.empty()) off.working_dir = "/";  // python:* has no WORKDIR
      break;
    }
    case Family::kMinio: adapt_minio(off, off.substitute_for.find("bitnami/") != std::string::npos, notes); break;
    case Family::kQdrant: adapt_qdrant(off, notes); break;
    case Family::kNone: return;
  }
  adapt_healthcheck(off, f, notes);
}

std::vector<std::string> missing_programs(SubstituteFamily f, const std::vector<std::string>& test) {
  std::vector<std::string> out;
  for (const auto& p : healthcheck_programs(test))
    if (!image_has(f, p)) out.push_back(p);
  return out;
}

}  // namespace biodev::profile
