#include "serve/reaper.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <map>
#include <set>
#include <thread>

#include "docker/client.h"
#include "docker/errors.h"
#include "docker/network_release.h"
#include "plan/labels.h"
#include "util/error.h"
#include "util/strings.h"
#include "util/unique_fd.h"

namespace biodev::serve {

using Clock = std::chrono::steady_clock;

ReaperConfig ReaperConfig::from_env() {
  ReaperConfig c;
  if (const char* p = std::getenv("BIODEV_REAPER_PROJECT"); p && *p)
    for (auto& x : split(p, ',')) c.projects.push_back(x);
  if (const char* s = std::getenv("BIODEV_REAPER_SOCKET"); s && *s) c.socket = s;
  if (const char* l = std::getenv("BIODEV_REAPER_LINGER_MS"); l && *l) c.linger = std::chrono::milliseconds(std::atoi(l));
  return c;
}

std::string reap_project(const std::string& socket_path, const std::string& project) {
  docker::Endpoint ep;
  ep.path = socket_path;
  docker::Client client(docker::make_socket_transport(ep));
  docker::Filters f{{"label", {std::string(labels::kProject) + "=" + project}}};
  int containers = 0, networks = 0, volumes = 0;
  for (const auto& c : client.list_containers(f, true)) {
    if (c.label(labels::kReaper) == "true") continue;
    try {
      client.remove_container(c.id, true, true);
      ++containers;
    } catch (const docker::EngineError& e) {
      if (e.kind() != docker::ErrorKind::kNotFound) spdlog::warn("reaper: container {}: {}", c.name, e.what());
    }
  }
  // Networks and volumes can stay busy for a moment after their containers go.
  for (int attempt = 0; attempt < 20; ++attempt) {
    bool busy = false;
    for (const auto& n : client.list_networks(f)) {
      try {
        // Frees endpoints of containers that are gone; waits in this loop, not there.
        if (docker::remove_network_when_free(client, n.id, std::chrono::milliseconds(0))) ++networks;
      } catch (const docker::EngineError& e) {
        busy |= e.kind() != docker::ErrorKind::kNotFound;
      }
    }
    for (const auto& v : client.list_volumes(f)) {
      try {
        client.remove_volume(v.name, true);
        ++volumes;
      } catch (const docker::EngineError& e) {
        busy |= e.kind() != docker::ErrorKind::kNotFound;
      }
    }
    if (!busy) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return "project " + project + ": removed " + std::to_string(containers) + " containers, " +
         std::to_string(networks) + " networks, " + std::to_string(volumes) + " volumes";
}

namespace {

volatile std::sig_atomic_t g_stop = 0;
extern "C" void on_stop(int) { g_stop = 1; }

UniqueFd listen_on(int port) {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  int one = 1;
  setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(fd.get(), 16) != 0)
    throw Error(ExitCode::kFailed, "reaper: cannot listen on port " + std::to_string(port));
  return fd;
}

// The reaper's watch: its holders' connections, and the projects and "keep" they send,
// one command a line.
class Watch {
 public:
  explicit Watch(const ReaperConfig& config)
      : config_(config),
        listener_(listen_on(config.port)),
        projects_(config.projects.begin(), config.projects.end()) {}

  // Until every holder has been gone for the linger time (or none came in time).
  void run() {
    auto start = Clock::now();
    auto last_seen = Clock::now();
    while (!g_stop) {
      std::vector<pollfd> fds{{listener_.get(), POLLIN, 0}};
      for (const auto& [fd, conn] : conns_) fds.push_back({fd, POLLIN, 0});
      poll(fds.data(), fds.size(), 100);
      if (fds[0].revents & POLLIN) accept_one();
      for (size_t i = 1; i < fds.size(); ++i)
        if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) read_from(fds[i].fd);
      if (!conns_.empty()) last_seen = Clock::now();
      bool abandoned =
          ever_connected_ && conns_.empty() && Clock::now() - last_seen >= config_.linger;
      bool never_came = !ever_connected_ && Clock::now() - start >= config_.connect_timeout;
      if (abandoned || never_came) break;
    }
    listener_.reset();
    conns_.clear();
  }

  bool keep() const { return keep_; }
  const std::set<std::string>& projects() const { return projects_; }

 private:
  struct Conn {
    UniqueFd fd;
    std::string line;  // a partial line
  };

  void accept_one() {
    int c = accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) return;
    conns_[c].fd.reset(c);
    ever_connected_ = true;
    if (write(c, "ack\n", 4) < 0) {
      // The peer went away already; poll() will see it.
    }
  }

  void read_from(int fd) {
    char buf[512];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) {
      conns_.erase(fd);
      return;
    }
    std::string& line = conns_[fd].line;
    line.append(buf, static_cast<size_t>(n));
    size_t nl;
    while ((nl = line.find('\n')) != std::string::npos) {
      std::string cmd = trim(line.substr(0, nl));
      line.erase(0, nl + 1);
      if (cmd.starts_with("project="))
        projects_.insert(cmd.substr(8));
      else if (cmd == "keep")
        keep_ = true;
    }
  }

  const ReaperConfig& config_;
  UniqueFd listener_;
  std::set<std::string> projects_;
  std::map<int, Conn> conns_;
  bool keep_ = false, ever_connected_ = false;
};

}  // namespace

int run_reaper(const ReaperConfig& config) {
  std::signal(SIGTERM, on_stop);
  std::signal(SIGINT, on_stop);
  std::signal(SIGPIPE, SIG_IGN);
  Watch watch(config);
  spdlog::info("biodev reaper listening on :{} (engine socket {})", config.port, config.socket);
  watch.run();
  const std::set<std::string>& projects = watch.projects();
  if (watch.keep()) {
    spdlog::info("reaper: keeping {} as asked", join({projects.begin(), projects.end()}, ", "));
    return 0;
  }
  for (const auto& p : projects) {
    try {
      spdlog::info("reaper: {}", reap_project(config.socket, p));
    } catch (const std::exception& e) {
      spdlog::error("reaper: project {}: {}", p, e.what());
    }
  }
  return 0;
}

}  // namespace biodev::serve
