// Which engine: the docker CLI's precedence over --context, DOCKER_HOST, DOCKER_CONTEXT
// and config.json's currentContext; context folders; TLS files; where ports are reached.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>

#include "docker/engine_config.h"
#include "docker/errors.h"
#include "util/crypto.h"

using namespace biodev::docker;
namespace fs = std::filesystem;

namespace {

struct Fixture {
  fs::path home = fs::temp_directory_path() / ("biodev-ctx-" + std::to_string(::getpid()));
  std::map<std::string, std::string> vars;
  Fixture() {
    fs::remove_all(home);
    fs::create_directories(home / ".docker");
    vars["HOME"] = home.string();
  }
  ~Fixture() { fs::remove_all(home); }
  EnvLookup env() const {
    return [this](std::string_view name) {
      auto it = vars.find(std::string(name));
      return it == vars.end() ? std::string() : it->second;
    };
  }
  static void write(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  void context(const std::string& name, const std::string& host, bool tls = false,
               bool skip = false) {
    fs::path root = home / ".docker" / "contexts";
    std::string id = biodev::sha256_hex(name);
    write(root / "meta" / id / "meta.json",
          R"({"Name":")" + name + R"(","Metadata":{},"Endpoints":{"docker":{"Host":")" + host +
              R"(","SkipTLSVerify":)" + (skip ? "true" : "false") + "}}}");
    if (tls) {
      for (const char* f : {"ca.pem", "cert.pem", "key.pem"})
        write(root / "tls" / id / "docker" / f, "x");
    }
  }
  Endpoint resolve(const std::string& flag = "", bool docker_answers = true,
                   std::set<std::string> answering = {}) const {
    return resolve_endpoint(flag, env(), [&](const std::string& path) {
      return (docker_answers && path == "/var/run/docker.sock") || answering.count(path) > 0;
    });
  }
};

std::string failure(const std::function<void()>& f) {
  try {
    f();
  } catch (const EngineError& e) {
    CHECK(e.code() == biodev::ExitCode::kUnreachable);
    return e.what();
  }
  FAIL("no error");
  return "";
}

}  // namespace

TEST_CASE("resolve_endpoint: the docker CLI's precedence") {
  Fixture fx;
  CHECK(fx.resolve().to_string() == "unix:///var/run/docker.sock");

  fx.context("box", "tcp://10.0.0.5:2375");
  fx.context("lab", "ssh://me@lab");
  Fixture::write(fx.home / ".docker" / "config.json", R"({"currentContext": "box"})");
  CHECK(fx.resolve().to_string() == "tcp://10.0.0.5:2375");
  CHECK(fx.resolve().context == "box");

  fx.vars["DOCKER_CONTEXT"] = "lab";
  CHECK(fx.resolve().to_string() == "ssh://me@lab");

  fx.vars["DOCKER_HOST"] = "tcp://10.9.9.9:2375";
  CHECK(fx.resolve().to_string() == "tcp://10.9.9.9:2375");
  CHECK(fx.resolve().context.empty());

  // --context beats them all; "default" is DOCKER_HOST or the default socket.
  CHECK(fx.resolve("box").to_string() == "tcp://10.0.0.5:2375");
  CHECK(fx.resolve("default").to_string() == "tcp://10.9.9.9:2375");
  fx.vars.erase("DOCKER_HOST");
  CHECK(fx.resolve("default").to_string() == "unix:///var/run/docker.sock");

  // DOCKER_CONFIG moves the whole folder.
  fx.vars["DOCKER_CONFIG"] = (fx.home / "elsewhere").string();
  fx.vars.erase("DOCKER_CONTEXT");
  CHECK(fx.resolve().to_string() == "unix:///var/run/docker.sock");
}

TEST_CASE("resolve_endpoint: a missing context names where it looked") {
  Fixture fx;
  std::string why = failure([&] { fx.resolve("nope"); });
  CHECK(why.find("docker context \"nope\" (from --context) does not exist") != std::string::npos);
  CHECK(why.find(biodev::sha256_hex("nope")) != std::string::npos);
  fx.vars["DOCKER_CONTEXT"] = "gone";
  CHECK(failure([&] { fx.resolve(); }).find("(from DOCKER_CONTEXT)") != std::string::npos);
  Fixture::write(
      fx.home / ".docker" / "contexts" / "meta" / biodev::sha256_hex("bad") / "meta.json", "{");
  CHECK(failure([&] { fx.resolve("bad"); }).find("has no Endpoints.docker.Host") !=
        std::string::npos);
}

TEST_CASE("resolve_endpoint: TLS from DOCKER_TLS_VERIFY and from a context's folder") {
  Fixture fx;
  fx.vars["DOCKER_HOST"] = "tcp://127.0.0.2";
  fx.vars["DOCKER_TLS_VERIFY"] = "1";
  fx.vars["DOCKER_CERT_PATH"] = (fx.home / "certs").string();
  std::string why = failure([&] { fx.resolve(); });
  CHECK(why.find("certs does not exist (DOCKER_CERT_PATH)") != std::string::npos);

  for (const char* f : {"ca.pem", "cert.pem"}) Fixture::write(fx.home / "certs" / f, "x");
  CHECK(failure([&] { fx.resolve(); }).find("has no key.pem (DOCKER_CERT_PATH)") !=
        std::string::npos);
  Fixture::write(fx.home / "certs" / "key.pem", "x");
  Endpoint ep = fx.resolve();
  REQUIRE(ep.tls);
  CHECK(ep.port == "2376");  // TLS's conventional port
  CHECK(ep.tls->verify);
  CHECK(ep.tls->ca == (fx.home / "certs" / "ca.pem").string());
  CHECK(ep.tls->key == (fx.home / "certs" / "key.pem").string());

  // No DOCKER_CERT_PATH: ~/.docker, as the docker CLI.
  fx.vars.erase("DOCKER_CERT_PATH");
  CHECK(failure([&] { fx.resolve(); }).find("~/.docker") != std::string::npos);
  // DOCKER_TLS alone: TLS without verifying the engine, so no CA is needed.
  fx.vars.erase("DOCKER_TLS_VERIFY");
  fx.vars["DOCKER_TLS"] = "1";
  ep = fx.resolve();
  REQUIRE(ep.tls);
  CHECK_FALSE(ep.tls->verify);
  fx.vars.erase("DOCKER_TLS");
  CHECK_FALSE(fx.resolve().tls);
  CHECK(fx.resolve().port == "2375");

  fx.vars.erase("DOCKER_HOST");
  fx.context("secure", "tcp://10.1.1.1:2376", true);
  fx.context("lax", "tcp://10.1.1.1:2376", true, true);
  ep = fx.resolve("secure");
  REQUIRE(ep.tls);
  CHECK(ep.tls->verify);
  CHECK(ep.tls->dir_from == "context secure");
  CHECK_FALSE(fx.resolve("lax").tls->verify);
}

TEST_CASE("resolve_endpoint: Podman's sockets when Docker's does not answer") {
  Fixture fx;
  CHECK(fx.resolve("", false, {"/run/podman/podman.sock"}).path == "/run/podman/podman.sock");
  fx.vars["XDG_RUNTIME_DIR"] = "/run/user/1000";
  CHECK(fx.resolve("", false, {"/run/user/1000/podman/podman.sock"}).path ==
        "/run/user/1000/podman/podman.sock");
  CHECK(fx.resolve("", true, {"/run/podman/podman.sock"}).path == "/var/run/docker.sock");
  // Nothing answers: Docker's socket, whose error says to start dockerd.
  CHECK(fx.resolve("", false).path == "/var/run/docker.sock");
}

TEST_CASE("reach_host, remote_publish_ip and reach_address") {
  Fixture fx;
  Endpoint local = Endpoint::parse("");
  Endpoint tls = Endpoint::parse("tcp://127.0.0.2:2376");
  Endpoint named = Endpoint::parse("tcp://docker:2376");
  CHECK(reach_host(local, fx.env()) == "127.0.0.1");
  CHECK(reach_host(tls, fx.env()) == "127.0.0.2");
  CHECK(reach_host(named, fx.env()) == "docker");
  CHECK(reach_host(Endpoint::parse("ssh://me@10.2.3.4"), fx.env()) == "10.2.3.4");
  fx.vars["BIODEV_HOST_OVERRIDE"] = "host.docker.internal";
  CHECK(reach_host(local, fx.env()) == "host.docker.internal");

  CHECK(remote_publish_ip(local, "127.0.0.1").empty());
  CHECK(remote_publish_ip(tls, "127.0.0.2") == "127.0.0.2");
  CHECK(remote_publish_ip(named, "docker") == "0.0.0.0");
  CHECK(remote_publish_ip(local, "host.docker.internal") == "0.0.0.0");

  CHECK(reach_address("0.0.0.0", "127.0.0.2") == "127.0.0.2");
  CHECK(reach_address("", "docker") == "docker");
  CHECK(reach_address("::", "127.0.0.1") == "127.0.0.1");
  CHECK(reach_address("127.0.0.2", "docker") == "127.0.0.2");
}
