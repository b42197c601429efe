#include "docker/engine_config.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "docker/errors.h"
#include "util/crypto.h"
#include "util/unique_fd.h"

namespace biodev::docker {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void unusable(const std::string& message) {
  throw EngineError(ErrorKind::kUnreachable, 0, message);
}

std::string config_dir(const EnvLookup& env) {
  if (std::string d = env("DOCKER_CONFIG"); !d.empty()) return d;
  return env("HOME") + "/.docker";
}

std::string file_if_present(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec) ? p.string() : "";
}

TlsFiles tls_files_in(const fs::path& dir, std::string from, bool verify) {
  TlsFiles t;
  t.verify = verify;
  t.dir = dir.string();
  t.dir_from = std::move(from);
  t.ca = file_if_present(dir / "ca.pem");
  t.cert = file_if_present(dir / "cert.pem");
  t.key = file_if_present(dir / "key.pem");
  return t;
}

// What the handshake cannot do without: a CA to verify against, and a client key pair
// that is whole. Said before any connection, naming the folder and where it came from.
void check_tls_files(const TlsFiles& t) {
  std::vector<std::string> missing;
  if (t.verify && t.ca.empty()) missing.push_back("ca.pem");
  if (t.cert.empty() != t.key.empty()) missing.push_back(t.cert.empty() ? "cert.pem" : "key.pem");
  if (missing.empty()) return;
  std::error_code ec;
  std::string where = fs::is_directory(t.dir, ec)
                          ? fmt::format("{} has no {}", t.dir, fmt::join(missing, " or "))
                          : fmt::format("{} does not exist", t.dir);
  unusable(
      fmt::format("cannot use the TLS engine: {} ({}); put ca.pem, cert.pem and key.pem there "
                  "or point DOCKER_CERT_PATH at the folder that has them",
                  where, t.dir_from));
}

Endpoint from_docker_host(const std::string& docker_host, const EnvLookup& env) {
  bool verify = !env("DOCKER_TLS_VERIFY").empty();
  bool tls = verify || !env("DOCKER_TLS").empty();
  Endpoint ep = Endpoint::parse(docker_host, tls);
  if (!tls || ep.kind != Endpoint::Kind::kTcp) return ep;
  std::string from = env("DOCKER_CERT_PATH");
  ep.tls = from.empty() ? tls_files_in(config_dir(env), "the default, ~/.docker", verify)
                        : tls_files_in(from, "DOCKER_CERT_PATH", verify);
  check_tls_files(*ep.tls);
  return ep;
}

Endpoint from_context(const std::string& name, const std::string& chosen_by, const EnvLookup& env) {
  std::string id = sha256_hex(name);
  fs::path root = config_dir(env);
  fs::path meta = root / "contexts" / "meta" / id / "meta.json";
  std::ifstream in(meta);
  if (!in) {
    unusable(
        fmt::format("docker context \"{}\" (from {}) does not exist: there is no {} "
                    "(`docker context ls` lists the contexts; `docker context create` makes one)",
                    name, chosen_by, meta.string()));
  }
  nlohmann::json doc = nlohmann::json::parse(in, nullptr, false);
  const nlohmann::json* docker = nullptr;
  if (doc.is_object() && doc["Endpoints"].is_object() && doc["Endpoints"]["docker"].is_object())
    docker = &doc["Endpoints"]["docker"];
  if (!docker || !(*docker)["Host"].is_string()) {
    unusable(
        fmt::format("docker context \"{}\": {} has no Endpoints.docker.Host", name, meta.string()));
  }
  fs::path tls_dir = root / "contexts" / "tls" / id / "docker";
  std::error_code ec;
  bool tls = fs::is_directory(tls_dir, ec);
  Endpoint ep = Endpoint::parse((*docker)["Host"].get<std::string>(), tls);
  ep.context = name;
  if (tls && ep.kind == Endpoint::Kind::kTcp) {
    bool skip = docker->value("SkipTLSVerify", false);
    ep.tls = tls_files_in(tls_dir, fmt::format("context {}", name), !skip);
    check_tls_files(*ep.tls);
  }
  return ep;
}

std::string current_context(const EnvLookup& env) {
  std::ifstream in(fs::path(config_dir(env)) / "config.json");
  if (!in) return "";
  nlohmann::json doc = nlohmann::json::parse(in, nullptr, false);
  if (!doc.is_object() || !doc.contains("currentContext") || !doc["currentContext"].is_string())
    return "";
  return doc["currentContext"].get<std::string>();
}

// No engine named anywhere: Docker's socket, else Podman's when only Podman answers.
Endpoint default_endpoint(const EnvLookup& env, const SocketProbe& answers) {
  Endpoint docker;
  if (answers(docker.path)) return docker;
  std::vector<std::string> podman{"/run/podman/podman.sock"};
  if (std::string xdg = env("XDG_RUNTIME_DIR"); !xdg.empty())
    podman.push_back(xdg + "/podman/podman.sock");
  for (const auto& path : podman) {
    if (!answers(path)) continue;
    Endpoint ep;
    ep.path = path;
    return ep;
  }
  return docker;
}

}  // namespace

EnvLookup process_env() {
  return [](std::string_view name) {
    const char* v = std::getenv(std::string(name).c_str());
    return std::string(v ? v : "");
  };
}

bool unix_socket_answers(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) return false;
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  return fd && ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
}

Endpoint resolve_endpoint(const std::string& context_flag, const EnvLookup& env,
                          const SocketProbe& answers) {
  auto named = [&](const std::string& name, const std::string& by) {
    return name == "default" ? from_docker_host(env("DOCKER_HOST"), env)
                             : from_context(name, by, env);
  };
  if (!context_flag.empty()) return named(context_flag, "--context");
  if (std::string host = env("DOCKER_HOST"); !host.empty()) return from_docker_host(host, env);
  if (std::string name = env("DOCKER_CONTEXT"); !name.empty()) return named(name, "DOCKER_CONTEXT");
  if (std::string name = current_context(env); !name.empty())
    return named(name, fmt::format("currentContext in {}/config.json", config_dir(env)));
  return default_endpoint(env, answers);
}

std::string reach_host(const Endpoint& endpoint, const EnvLookup& env) {
  if (std::string o = env("BIODEV_HOST_OVERRIDE"); !o.empty()) return o;
  return endpoint.on_this_machine() ? "127.0.0.1" : endpoint.host;
}

std::string remote_publish_ip(const Endpoint& endpoint, const std::string& reach) {
  if (endpoint.on_this_machine() && reach == "127.0.0.1") return "";
  return is_ip_address(reach) ? reach : "0.0.0.0";
}

bool is_ip_address(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

std::string reach_address(std::string_view host_ip, const std::string& reach) {
  bool any = host_ip.empty() || host_ip == "0.0.0.0" || host_ip == "::";
  return any ? reach : std::string(host_ip);
}

}  // namespace biodev::docker
