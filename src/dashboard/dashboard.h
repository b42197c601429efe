// `biodev ui`: the web dashboard of one project, served from the CLI process.
//
// A follower thread keeps a StackView current from the engine's event stream (a new
// snapshot only when containers or ports may have changed), and reconnects with backoff
// when the engine goes away, marking the page "engine unreachable" meanwhile. The page
// (src/dashboard/dashboard.html, compiled in) gets the view as server-sent events,
// follows one service's logs the same way, and posts restart/stop/start.
//
// Endpoints: GET / (the page), /api/stack (the view as JSON), /api/events (SSE "stack"
// events), /api/logs?service=S&tail=N (SSE "log" and "status" events), /api/graph.svg
// (profile::graph_svg), POST /api/services/S/{restart,stop,start} (with the header
// "X-Biodev: 1", so no other site's page can post them). An action holds the project
// lock (cli/lock.h) for its engine call; while another command holds it the action is
// refused at once with 409 {"error", "busy": true, "holder"}, which the page shows.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "dashboard/view.h"
#include "docker/client.h"
#include "profile/model.h"
#include "serve/server.h"

namespace biodev::dashboard {

class Dashboard : public std::enable_shared_from_this<Dashboard> {
 public:
  // `profile` and `client` must outlive the dashboard. Make it with std::make_shared:
  // its threads hold it.
  Dashboard(docker::Client& client, const profile::Profile& profile);

  // Takes the first snapshot (throws docker::EngineError when the engine does not
  // answer), then starts the follower and seed threads, which run until the process ends.
  void start();
  serve::Reply handle(const serve::Request& req);
  // The port the page is served on, for the Host check (set before serving).
  void set_port(int port) { port_ = port; }

 private:
  void follow();
  void refresh();         // a new snapshot into view_, then publish
  void publish_locked();  // view_ to every subscriber (mu_ held)
  void seed_loop();
  serve::Reply stack_events();
  serve::Reply logs(const std::string& service, int tail);
  serve::Reply action(const std::string& service, const std::string& verb);
  void follow_logs(const std::string& service, int tail, std::shared_ptr<serve::StreamWriter> out);
  bool host_allowed(const serve::Request& req) const;

  docker::Client& client_;
  const profile::Profile& profile_;
  int port_ = 0;
  std::mutex mu_;
  std::condition_variable changed_;  // view_ changed (version_ counts)
  unsigned long long version_ = 0;
  StackView view_;
  std::vector<std::shared_ptr<serve::StreamWriter>> subscribers_;
  bool seeds_due_ = true;
  std::atomic<bool> stop_{false};
};

}  // namespace biodev::dashboard
