#include "dashboard/dashboard.h"

#include <chrono>

#include "docker/errors.h"
#include "plan/labels.h"
#include "plan/project_lock.h"
#include "profile/graph.h"
#include "seed/seed.h"
#include "util/embedded.h"
#include "util/redact.h"
#include "util/strings.h"

namespace biodev::dashboard {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

long long now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

serve::Reply error(int status, const std::string& message) {
  return serve::Reply::json(status, json{{"error", message}}.dump());
}

serve::Reply event_stream() {
  serve::Reply r;
  r.content_type = "text/event-stream";
  r.headers = {{"Cache-Control", "no-store"}, {"X-Accel-Buffering", "no"}};
  return r;
}

// "a=1&service=x" -> the decoded value of `key`, "" when absent.
std::string query_value(std::string_view query, std::string_view key) {
  for (const auto& part : split(std::string(query), '&')) {
    size_t eq = part.find('=');
    if (part.substr(0, eq) == key)
      return eq == std::string::npos ? "" : docker::url_decode(part.substr(eq + 1));
  }
  return "";
}

// Frames (split anywhere) to whole lines, each sent as one "log" event.
class LogLines {
 public:
  explicit LogLines(std::shared_ptr<serve::StreamWriter> out) : out_(std::move(out)) {}
  void feed(docker::StreamId stream, std::string_view data) { lines_.feed(stream, data); }
  void flush() { lines_.flush(); }

 private:
  void emit(docker::StreamId stream, const std::string& line) {
    json j = {{"stream", stream == docker::StreamId::kStderr ? "stderr" : "stdout"},
              {"line", global_redactor()(line)}};
    out_->write(sse_frame("log", j.dump(-1, ' ', false, json::error_handler_t::replace)));
  }
  std::shared_ptr<serve::StreamWriter> out_;
  docker::LineSplitter lines_{
      [this](docker::StreamId s, const std::string& line) { emit(s, line); }};
};

}  // namespace

Dashboard::Dashboard(docker::Client& client, const profile::Profile& profile)
    : client_(client), profile_(profile) {
  view_.project = profile.project;
}

void Dashboard::start() {
  refresh();
  auto self = shared_from_this();
  std::thread([self] { self->follow(); }).detach();
  std::thread([self] { self->seed_loop(); }).detach();
}

void Dashboard::refresh() {
  plan::ObservedState obs = plan::observe(client_, profile_.project);
  std::lock_guard lock(mu_);
  view_ = view_from(obs, profile_.project, profile_.service_names(), &view_);
  publish_locked();
}

void Dashboard::publish_locked() {
  ++version_;
  changed_.notify_all();
  const std::string frame = sse_frame("stack", to_json(view_).dump());
  std::erase_if(subscribers_, [&](const auto& w) { return !w->write(frame); });
}

void Dashboard::follow() {
  auto backoff = 250ms;
  const docker::Filters filters = {
      {"label", {std::string(labels::kProject) + "=" + profile_.project}}};
  bool first = true;
  while (!stop_) {
    // Events from just before the snapshot are replayed, so none falls between the two;
    // applied in order they end where the engine is.
    const long long since = now_s() - 2;
    std::string why;
    try {
      if (!first) refresh();
      first = false;
      backoff = 250ms;
      client_.container_events(
          filters,
          [&](const docker::ContainerEvent& e) {
            EventEffect effect;
            {
              std::lock_guard lock(mu_);
              effect = apply_event(view_, e);
              if (e.action == "start" || e.health() == "healthy") seeds_due_ = true;
              if (effect == EventEffect::kChanged) publish_locked();
            }
            if (effect == EventEffect::kRefresh) refresh();
            return !stop_;
          },
          since);
      why = "the engine ended its event stream";
    } catch (const std::exception& e) {
      why = first_line(e.what());
    }
    {
      std::lock_guard lock(mu_);
      view_.engine_up = false;
      view_.engine_message = why + "; reconnecting";
      publish_locked();
    }
    std::this_thread::sleep_for(backoff);
    backoff = std::min<std::chrono::milliseconds>(backoff * 2, 2s);
  }
}

void Dashboard::seed_loop() {
  while (!stop_) {
    struct Target {
      std::string service, id, variant;
      std::vector<PortView> ports;
    };
    std::vector<Target> targets;
    {
      std::unique_lock lock(mu_);
      // A seed run by `biodev seed` leaves no container event: look again now and then.
      changed_.wait_for(lock, 30s, [&] { return stop_ || seeds_due_; });
      seeds_due_ = false;
      for (const auto& s : view_.services)
        if (s.state == "running") targets.push_back({s.service, s.id, s.variant, s.ports});
    }
    // The seed runs after the service is ready; give `up` a moment to record it.
    std::this_thread::sleep_for(1s);
    for (const auto& t : targets) {
      const profile::Service* base = profile_.find(t.service);
      if (!base) continue;
      const profile::Service& s = t.variant == "offline" && base->offline ? *base->offline : *base;
      if (s.seed.kind == profile::SeedSpec::Kind::kNone) continue;
      seed::SeedContext sc;
      sc.service = &s;
      sc.container_id = t.id;
      sc.client = &client_;
      for (const auto& p : t.ports) {
        sc.published[p.container_port] = p.host_port;
        sc.host = p.host;
      }
      std::string text;
      try {
        text = seed::seed_result(sc);
      } catch (const std::exception& e) {
        text = "unknown: " + first_line(e.what());
      }
      std::lock_guard lock(mu_);
      if (ServiceView* v = view_.find(t.service); v && v->seed != text) {
        v->seed = text;
        publish_locked();
      }
    }
  }
}

bool Dashboard::host_allowed(const serve::Request& req) const {
  // Only names of this machine: a page elsewhere that rebinds its own name to 127.0.0.1
  // cannot read the stack or act on it.
  const std::string port = std::to_string(port_);
  auto ours = [&](std::string_view host) {
    for (const char* name : {"127.0.0.1", "localhost", "[::1]"})
      if (host == std::string(name) + ":" + port) return true;
    return false;
  };
  if (!ours(req.header("host"))) return false;
  std::string_view origin = req.header("origin");
  if (origin.empty()) return true;
  return origin.substr(0, 7) == "http://" && ours(origin.substr(7));
}

serve::Reply Dashboard::handle(const serve::Request& req) {
  if (!host_allowed(req))
    return error(403, "the dashboard answers only at 127.0.0.1:" + std::to_string(port_));
  const std::string path(req.path());
  if (req.method == "GET" || req.method == "HEAD") {
    if (path == "/" || path == "/index.html") {
      auto page = embedded_file("src/dashboard/dashboard.html");
      if (!page) return error(500, "the page is not compiled into this binary");
      serve::Reply r = serve::Reply::text(200, std::string(*page), "text/html; charset=utf-8");
      r.headers = {{"Cache-Control", "no-store"}};
      return r;
    }
    if (path == "/api/stack") {
      std::lock_guard lock(mu_);
      return serve::Reply::json(200, to_json(view_).dump());
    }
    if (path == "/api/graph.svg")
      return serve::Reply::text(200, profile::graph_svg(profile_), "image/svg+xml");
    if (path == "/api/events") return stack_events();
    if (path == "/api/logs") {
      int tail = 200;
      const std::string t = query_value(req.query(), "tail");
      if (!t.empty()) {
        char* end = nullptr;
        long v = std::strtol(t.c_str(), &end, 10);
        if (*end != '\0' || v < 0 || v > 100000)
          return error(400, "tail=" + t + ": expected 0 to 100000");
        tail = static_cast<int>(v);
      }
      return logs(query_value(req.query(), "service"), tail);
    }
    return error(404, "no such page: " + path);
  }
  if (req.method == "POST" && path.rfind("/api/services/", 0) == 0) {
    // A header no form or cross-site request can carry without the browser asking first.
    if (req.header("x-biodev") != "1") return error(403, "actions need the header X-Biodev: 1");
    auto parts = split(path.substr(std::string("/api/services/").size()), '/');
    if (parts.size() != 2) return error(404, "expected /api/services/SERVICE/restart|stop|start");
    return action(docker::url_decode(parts[0]), parts[1]);
  }
  return error(405, req.method + " " + path + " is not served");
}

serve::Reply Dashboard::stack_events() {
  serve::Reply r = event_stream();
  auto self = shared_from_this();
  r.stream = [self](std::shared_ptr<serve::StreamWriter> out) {
    std::lock_guard lock(self->mu_);
    if (out->write(sse_frame("stack", to_json(self->view_).dump())))
      self->subscribers_.push_back(std::move(out));
  };
  return r;
}

serve::Reply Dashboard::logs(const std::string& service, int tail) {
  {
    std::lock_guard lock(mu_);
    if (!view_.find(service))
      return error(404, "no service \"" + service + "\" in project " + profile_.project);
  }
  serve::Reply r = event_stream();
  auto self = shared_from_this();
  r.stream = [self, service, tail](std::shared_ptr<serve::StreamWriter> out) {
    std::thread([self, service, tail, out] { self->follow_logs(service, tail, out); }).detach();
  };
  return r;
}

void Dashboard::follow_logs(const std::string& service, int tail,
                            std::shared_ptr<serve::StreamWriter> out) {
  long long since = 0;
  while (!stop_ && out->open()) {
    std::string id;
    {
      std::unique_lock lock(mu_);
      // Until the service runs (again): a stopped container's logs are sent once.
      for (;;) {
        const ServiceView* s = view_.find(service);
        if (s && !s->id.empty() && (s->state == "running" || since == 0)) {
          id = s->id;
          break;
        }
        if (stop_ || !out->open()) return;
        changed_.wait_for(lock, 1s);
      }
    }
    LogLines lines(out);
    docker::LogOptions lo;
    lo.follow = true;
    lo.tail = since == 0 ? tail : -1;
    lo.since = since;
    lo.keep_going = [&] { return out->open() && !stop_; };
    try {
      client_.logs(id, lo, profile_.find(service) && profile_.find(service)->tty,
                   [&](docker::StreamId s, std::string_view d) { lines.feed(s, d); });
    } catch (const std::exception& e) {
      out->write(sse_frame("status", "logs: " + first_line(e.what())));
    }
    lines.flush();
    since = now_s();  // when it runs again, from here (a line of this second may come twice)
    if (!out->write(
            sse_frame("status", service + " stopped; its logs continue when it starts again")))
      return;
    std::this_thread::sleep_for(300ms);
    std::lock_guard lock(mu_);
    if (const ServiceView* s = view_.find(service); s && s->state == "running" && s->id == id) {
      // The stream ended but the view has not seen the container stop yet: wait for it.
      changed_.notify_all();
    }
  }
}

serve::Reply Dashboard::action(const std::string& service, const std::string& verb) {
  if (verb != "restart" && verb != "stop" && verb != "start")
    return error(404, "no action \"" + verb + "\" (restart, stop or start)");
  std::string id;
  {
    std::lock_guard lock(mu_);
    const ServiceView* s = view_.find(service);
    if (!s) return error(404, "no service \"" + service + "\" in project " + profile_.project);
    if (s->id.empty())
      return error(409, "service " + service + " has no container: run `biodev up`");
    id = s->id;
  }
  // The project lock, as `up`, `down` and `restart` take it, held until the engine call
  // returns. Not waited for: a page cannot tell a wait from a hang, so it hears who holds it.
  std::string holder;
  std::shared_ptr<plan::ProjectLock> lock;
  try {
    lock = plan::ProjectLock::try_acquire(profile_.project, "ui " + verb + " " + service, holder);
  } catch (const std::exception& e) {
    return error(500, first_line(e.what()));
  }
  if (!lock)
    return serve::Reply::json(
        409, json{{"error", "project " + profile_.project + " is busy (" + holder + "); " +
                                service + " was not " + (verb == "stop" ? "stopped" : verb + "ed") +
                                ", try again when it finishes"},
                  {"busy", true},
                  {"holder", holder}}
                 .dump());
  const profile::Service* spec = profile_.find(service);
  const int grace = spec ? spec->stop_grace_s : 2;
  serve::Reply r;
  auto self = shared_from_this();
  r.deferred = [self, id, verb, service, grace, lock](serve::ReplySink sink) mutable {
    std::thread([self, id, verb, service, grace, sink, lock = std::move(lock)]() mutable {
      serve::Reply done;
      try {
        if (verb == "restart") self->client_.restart_container(id, grace);
        if (verb == "stop") self->client_.stop_container(id, grace);
        if (verb == "start") self->client_.start_container(id);
        done = serve::Reply::json(200, json{{"service", service}, {"done", verb}}.dump());
      } catch (const std::exception& e) {
        done = error(502, service + ": " + verb + " failed: " + first_line(e.what()));
      }
      lock.reset();  // released before the page hears it is done
      sink(std::move(done));
    }).detach();
  };
  return r;
}

}  // namespace biodev::dashboard
