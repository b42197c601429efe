#include "cli/reaper_client.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>

#include "docker/engine_config.h"
#include "docker/errors.h"
#include "images/builder.h"
#include "plan/labels.h"
#include "util/error.h"
#include "util/unique_fd.h"

namespace biodev::cli {

namespace {

// The engine's socket as the reaper container mounts it: this machine's socket for an
// engine here (Docker's or Podman's), else the usual socket on the engine's own host.
std::string reaper_socket_source(const docker::Endpoint& ep) {
  return ep.kind == docker::Endpoint::Kind::kUnix ? ep.path : "/var/run/docker.sock";
}

UniqueFd connect_to(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) return {};
  UniqueFd fd;
  for (addrinfo* a = found; a && !fd; a = a->ai_next) {
    fd.reset(socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (fd && connect(fd.get(), a->ai_addr, a->ai_addrlen) != 0) fd.reset();
  }
  freeaddrinfo(found);
  if (!fd) return {};
  // The reaper answers "ack" once it accepted: proof that the proxy reached it.
  pollfd p{fd.get(), POLLIN, 0};
  char buf[8];
  if (poll(&p, 1, 1000) <= 0 || read(fd.get(), buf, sizeof buf) < 3) return {};
  return fd;
}

}  // namespace

bool reaper_enabled() {
  const char* v = std::getenv("BIODEV_REAPER");
  return !(v && (std::string(v) == "off" || std::string(v) == "0" || std::string(v) == "false"));
}

ReaperGuard::ReaperGuard(Context& ctx, const std::string& project) {
  if (!reaper_enabled()) return;
  std::string sock = reaper_socket_source(ctx.endpoint());
  docker::Client& client = ctx.client();
  std::string publish_ip = docker::remote_publish_ip(ctx.endpoint(), client.reach_host());
  if (publish_ip.empty()) publish_ip = "127.0.0.1";
  images::BuildOptions bo;
  images::BuildResult img = images::build_runtime_image(client, bo);
  docker::ContainerSpec spec;
  spec.image = img.image;
  spec.cmd = {"serve", "reaper"};
  spec.env = std::vector<std::string>{"BIODEV_REAPER_PROJECT=" + project};
  spec.user = "0:0";  // the engine's socket is root's
  spec.labels = {{labels::kProject, project}, {labels::kReaper, "true"}};
  spec.exposed_ports = std::vector<std::string>{"8080/tcp"};
  spec.host.auto_remove = true;
  spec.host.init = true;
  spec.host.mounts = {{docker::MountSpec::Type::kBind, sock, "/var/run/docker.sock"}};
  spec.host.port_bindings = std::map<std::string, std::vector<docker::HostPortSpec>>{{"8080/tcp", {{publish_ip, ""}}}};
  std::string name = project + "-reaper";
  std::string id;
  try {
    id = client.create_container(name, spec);
  } catch (const docker::EngineError& e) {
    if (e.kind() != docker::ErrorKind::kConflict) throw;
    throw Error(ExitCode::kFailed, "project " + project + " already has a reaper (another `biodev run` with -p " +
                                       project + "?): " + e.what());
  }
  client.start_container(id);
  int port = 0;
  // The port map is filled just after the start (moby#42860), later on a busy engine.
  auto port_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (port == 0 && std::chrono::steady_clock::now() < port_deadline) {
    for (const auto& c : client.list_containers({{"id", {id}}}, true))
      for (const auto& b : c.ports)
        if (b.container_port == 8080 && b.host_port) port = b.host_port;
    if (!port) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (int attempt = 0; attempt < 100 && !fd_ && port; ++attempt) {
    fd_ = connect_to(client.reach_host(), port);
    if (!fd_) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!fd_) {
    try {
      client.remove_container(id, true);
    } catch (const std::exception&) {
    }
    throw Error(ExitCode::kFailed, "the reaper for project " + project +
                                       (port ? " did not answer on " + client.reach_host() + ":" + std::to_string(port)
                                             : " got no host port from the engine within 10 s") +
                                       "; nothing was started: run the command again (`biodev images build` "
                                       "remakes the biodev/runtime image it runs from)");
  }
  client_ = &client;
  id_ = id;
  std::string hello = "project=" + project + "\n";
  if (send(fd_.get(), hello.data(), hello.size(), MSG_NOSIGNAL) < 0)
    throw Error(ExitCode::kFailed, "lost the reaper connection");
}

void ReaperGuard::keep() {
  if (!fd_) return;
  if (send(fd_.get(), "keep\n", 5, MSG_NOSIGNAL) < 0) {
    // Already gone: then it reaps, which --keep cannot prevent any more.
  }
  dismiss();
}

void ReaperGuard::dismiss() {
  if (!client_ || id_.empty()) return release();
  try {
    // Force: the reaper has nothing left to do, and killed it cannot reap.
    client_->remove_container(id_, true);
  } catch (const docker::EngineError& e) {
    // 409: it is removing itself already (AutoRemove); 404: it is gone.
    if (e.kind() != docker::ErrorKind::kConflict && e.kind() != docker::ErrorKind::kNotFound) return release();
  }
  for (int attempt = 0; attempt < 100; ++attempt) {
    try {
      client_->inspect_container(id_);
    } catch (const docker::EngineError& e) {
      if (e.kind() == docker::ErrorKind::kNotFound) break;
      if (e.kind() == docker::ErrorKind::kUnreachable) return release();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  id_.clear();
  release();
}

void ReaperGuard::release() { fd_.reset(); }

ReaperGuard::~ReaperGuard() { release(); }

}  // namespace biodev::cli
