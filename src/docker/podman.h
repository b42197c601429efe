// Podman's Docker-compatible API (4.3 and later), where its answers differ from Docker's.
// Pure functions the client applies when /_ping says Podman answers, so that nothing
// outside src/docker/ needs to know which engine it talks to.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "docker/errors.h"
#include "docker/transport.h"

namespace biodev::docker::podman {

// A /_ping answer from Podman: it adds Libpod-Api-Version to Docker's headers.
bool answers_ping(const HttpResponse& ping);

// Docker's short form of an image name Podman reports fully qualified:
// "docker.io/library/postgres:16" -> "postgres:16", "docker.io/biodev/redis:7" and
// "localhost/biodev/redis:7" -> "biodev/redis:7"; any other name is kept.
std::string familiar_image_name(std::string_view name);

// Docker's container list carries the health in Status ("Up 3 seconds (healthy)",
// "(health: starting)"); Podman's compat list does not, its libpod list has it alone
// ("healthy", "unhealthy", "starting", "" without a healthcheck).
std::string status_with_health(const std::string& status, std::string_view health);
// Container id -> health, from a libpod container list.
std::map<std::string, std::string> health_by_id(const nlohmann::json& libpod_list);

// classify() for Podman's errors: it answers 500 where Docker answers 404 or 409 (a name
// in use, a container in the wrong state, a network that exists), with the cause at the
// end of the message.
ErrorKind classify(int status, const std::string& message);
// The engine's message, with what to do when Podman's own set-up is what failed.
std::string explain(const std::string& message);

// Build output (/build's "stream" text) in the classic builder's words, which biodev
// reads to tell the failing step: Podman's "STEP 3/5: RUN x" is "Step 3/5 : RUN x", its
// "--> 6933a01d767" (the image a step made) " ---> 6933a01d767".
std::string docker_build_output(std::string_view text);

// A bounded event query (GET /events?since=S&until=T): Podman treats `until` as a wall
// clock deadline for the stream, so one in the past ends it before any logged event is
// read. The rewritten path asks for the log without `until` (stream=false) and with
// Docker's event names as Podman's ("destroy" is "remove"); docker_events() then keeps
// the lines up to `until_ns` and names them as Docker does.
struct EventsQuery {
  std::string path;
  long long until_ns = 0;
};
std::optional<EventsQuery> bounded_events_query(std::string_view path);
std::string docker_events(std::string_view body, long long until_ns);

}  // namespace biodev::docker::podman
