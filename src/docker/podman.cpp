#include "docker/podman.h"

#include <array>
#include <charconv>
#include <regex>
#include <utility>

#include "docker/client.h"
#include "util/strings.h"

namespace biodev::docker::podman {

namespace {

using json = nlohmann::json;

// Docker's event name, Podman's for the same thing.
constexpr std::array<std::pair<std::string_view, std::string_view>, 2> kEventNames{{
    {"destroy", "remove"},
    {"exec_die", "exec_died"},
}};

// An event name in the other engine's words: Docker's as Podman's, or back.
std::string event_name(const std::string& name, bool to_podman) {
  for (const auto& [d, p] : kEventNames)
    if ((to_podman ? d : p) == name) return std::string(to_podman ? p : d);
  return name;
}

// Podman's causes (the end of its messages) for what Docker answers 409 and 404.
constexpr std::array<std::string_view, 5> kConflictCauses{
    "that name is already in use", "container state improper", "network already exists",
    "network is already connected", "container already exists"};
constexpr std::array<std::string_view, 5> kNotFoundCauses{
    "no such container", "no such volume", "network not found", "image not known", "no such image"};

template <size_t N>
bool has_cause(const std::string& message, const std::array<std::string_view, N>& causes) {
  for (std::string_view cause : causes)
    if (ends_with(message, cause)) return true;
  return false;
}

// "1796221871.631223868" or "1796221871" (seconds since the epoch) -> nanoseconds.
std::optional<long long> epoch_ns(std::string_view text) {
  auto dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string fraction(dot == std::string_view::npos ? "" : text.substr(dot + 1));
  if (fraction.size() > 9) return std::nullopt;
  fraction.resize(9, '0');
  long long s = 0, ns = 0;
  auto a = std::from_chars(whole.data(), whole.data() + whole.size(), s);
  auto b = std::from_chars(fraction.data(), fraction.data() + fraction.size(), ns);
  if (whole.empty() || a.ec != std::errc() || a.ptr != whole.data() + whole.size() ||
      b.ec != std::errc() || b.ptr != fraction.data() + fraction.size())
    return std::nullopt;
  return s * 1'000'000'000LL + ns;
}

// The filters parameter with Docker's event names as Podman's.
std::string podman_filters(std::string_view encoded) {
  json filters = json::parse(url_decode(encoded), nullptr, false);
  if (!filters.is_object()) return std::string(encoded);
  if (auto events = filters.find("event"); events != filters.end() && events->is_array())
    for (auto& e : *events)
      if (e.is_string()) e = event_name(e.get<std::string>(), true);
  return url_encode(filters.dump());
}

// One line of Podman's build output in the classic builder's words.
std::string docker_build_line(const std::string& line) {
  static const std::regex kStep(R"(^STEP (\d+/\d+): )");
  std::smatch m;
  if (std::regex_search(line, m, kStep)) return "Step " + m[1].str() + " : " + m.suffix().str();
  if (line.starts_with("--> ")) return " ---> " + line.substr(4);
  return line;
}

}  // namespace

bool answers_ping(const HttpResponse& ping) { return !ping.header("libpod-api-version").empty(); }

std::string familiar_image_name(std::string_view name) {
  for (std::string_view prefix : {"docker.io/library/", "docker.io/", "localhost/"})
    if (name.starts_with(prefix) && name.size() > prefix.size())
      return std::string(name.substr(prefix.size()));
  return std::string(name);
}

std::string status_with_health(const std::string& status, std::string_view health) {
  if (health == "healthy" || health == "unhealthy")
    return status + " (" + std::string(health) + ")";
  if (health == "starting") return status + " (health: starting)";
  return status;
}

std::map<std::string, std::string> health_by_id(const json& libpod_list) {
  std::map<std::string, std::string> out;
  if (!libpod_list.is_array()) return out;
  for (const auto& c : libpod_list) {
    if (!c.is_object()) continue;
    auto id = c.find("Id");
    auto status = c.find("Status");
    if (id != c.end() && id->is_string() && status != c.end() && status->is_string())
      out.emplace(id->get<std::string>(), status->get<std::string>());
  }
  return out;
}

ErrorKind classify(int status, const std::string& message) {
  if (status >= 500 && has_cause(message, kConflictCauses)) return ErrorKind::kConflict;
  if (status >= 500 && has_cause(message, kNotFoundCauses)) return ErrorKind::kNotFound;
  return docker::classify(status, message);
}

std::string explain(const std::string& message) {
  if (message.find("container-init binary not found") == std::string::npos) return message;
  return message +
         " (Podman runs containers with `init: true` under catatonit: install it, `apt-get install "
         "catatonit`, or set init_path in containers.conf to an init such as tini)";
}

std::string docker_build_output(std::string_view text) {
  std::vector<std::string> lines = split(text, '\n');
  for (auto& line : lines) line = docker_build_line(line);
  return join(lines, "\n");
}

std::optional<EventsQuery> bounded_events_query(std::string_view path) {
  constexpr std::string_view kEvents = "/events?";
  if (!path.starts_with(kEvents)) return std::nullopt;
  EventsQuery q;
  std::vector<std::string> kept;
  for (const std::string& param : split(path.substr(kEvents.size()), '&')) {
    if (param.starts_with("until=")) {
      std::optional<long long> until = epoch_ns(std::string_view(param).substr(6));
      if (!until) return std::nullopt;  // a date or a duration: pass it on as it is
      q.until_ns = *until;
    } else if (param.starts_with("filters=")) {
      kept.push_back("filters=" + podman_filters(std::string_view(param).substr(8)));
    } else if (!param.starts_with("stream=")) {
      kept.push_back(param);
    }
  }
  if (q.until_ns == 0) return std::nullopt;
  kept.push_back("stream=false");
  q.path = std::string(kEvents) + join(kept, "&");
  return q;
}

std::string docker_events(std::string_view body, long long until_ns) {
  std::string out;
  for (const std::string& line : split(body, '\n')) {
    if (trim(line).empty()) continue;
    json e = json::parse(line, nullptr, false);
    if (e.is_object()) {
      if (e.value("timeNano", 0LL) > until_ns) continue;
      for (const char* key : {"Action", "status"})
        if (auto it = e.find(key); it != e.end() && it->is_string())
          *it = event_name(it->get<std::string>(), false);
    }
    out += e.is_object() ? e.dump() : line;
    out += '\n';
  }
  return out;
}

}  // namespace biodev::docker::podman
