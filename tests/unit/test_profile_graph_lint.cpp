// Golden tests for `biodev lint` and `biodev graph`, both pure over a profile.
#include <doctest/doctest.h>

#include "profile/graph.h"
#include "profile/lint.h"
#include "profile/loader.h"

using namespace biodev::profile;

namespace {
Profile load(const std::string& dir, const std::string& file) {
  LoadOptions o;
  o.profile = file;
  o.project_dir = std::string(BIODEV_TEST_DATA) + "/" + dir;
  o.project = "p";
  o.vars = Variables([](const std::string&) { return std::nullopt; });
  return load_profile(o);
}
std::string render(const std::vector<Finding>& fs) {
  std::string out;
  for (const auto& f : fs) out += f.to_string() + "\n";
  return out;
}
}  // namespace

TEST_CASE("lint flags each rule once, at the service, and leaves clean services alone") {
  Profile p = load("lint", "lint.yaml");
  CHECK(render(lint(p, {{"redis:7.4", "redis"}})) ==
        "lint.yaml:9:3: warning: service untagged: image busybox has no tag; pin one [image-tag]\n"
        "lint.yaml:14:3: warning: service exposed: image nginx:latest uses latest; pin a version [image-tag]\n"
        "lint.yaml:17:13: warning: service exposed: port 80 is published on 0.0.0.0; bind 127.0.0.1 unless others must "
        "reach it [port-exposure]\n"
        "lint.yaml:20:3: warning: service rooty: runs as root; set user: (e.g. \"${BIODEV_UID}:${BIODEV_GID}\") [root-user]\n"
        "lint.yaml:20:3: warning: service rooty: no cpu or memory limits; set resources: or pool: [no-limits]\n"
        "lint.yaml:20:3: warning: service rooty: no ready: probe; dependents cannot wait for it and health cannot see it "
        "[no-ready]\n");
}

TEST_CASE("lint uses the image's own user when the engine knows it") {
  Profile p = load("lint", "lint.yaml");
  auto findings = lint(p, {{"redis:7.4", ""}});  // clean sets user: itself, so still clean
  for (const auto& f : findings) CHECK(f.message.find("service clean") == std::string::npos);
}

TEST_CASE("graph draws networks, ports, dependencies and routes") {
  Profile p = load("plan", "stack.yaml");
  std::string m = graph_mermaid(p);
  CHECK(m.starts_with("flowchart LR\n  host((\"host 127.0.0.1\"))\n  net_front{{\"front\"}}\n  net_data{{\"data\"}}\n"));
  CHECK(m.find("  api -- completed --> migrate\n") != std::string::npos);
  CHECK(m.find("  api -.- net_front\n  api -.- net_data\n") != std::string::npos);
  CHECK(m.find("  gateway -- started --> api\n") != std::string::npos);
  std::string d = graph_dot(p);
  CHECK(d.starts_with("digraph \"p\" {\n"));
  CHECK(d.find("  \"api\" -> \"redis\" [label=\"healthy\", style=bold];\n") != std::string::npos);
  CHECK(d.ends_with("}\n"));
}

TEST_CASE("graph_svg puts stores on the right, each service a styled group, edges labelled") {
  Profile p = load("plan", "stack.yaml");
  std::string svg = graph_svg(p);
  CHECK(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  CHECK(svg.ends_with("</svg>\n"));
  for (const char* name : {"postgres", "migrate", "redis", "api", "gateway"})
    CHECK(svg.find(std::string("<g class=\"svc\" data-service=\"") + name + "\">") != std::string::npos);
  // Depth: gateway -> api -> migrate -> postgres; the deepest chain is leftmost.
  auto x_of = [&](const std::string& name) {
    size_t g = svg.find("data-service=\"" + name + "\"");
    size_t x = svg.find("x=\"", g) + 3;
    return std::stoi(svg.substr(x, svg.find('"', x) - x));
  };
  CHECK(x_of("gateway") < x_of("api"));
  CHECK(x_of("api") < x_of("migrate"));
  CHECK(x_of("migrate") < x_of("postgres"));
  CHECK(x_of("redis") == x_of("postgres"));
  CHECK(svg.find(">completed</text>") != std::string::npos);
  CHECK(svg.find(">healthy</text>") != std::string::npos);
  CHECK(svg.find("net: front, data") != std::string::npos);
}
