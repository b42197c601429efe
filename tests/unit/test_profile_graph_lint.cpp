// Golden tests for `biodev lint` and `biodev graph`, both pure over a profile.
#include <doctest/doctest.h>

#include <filesystem>

#include "profile/graph.h"
#include "profile/graph_layout.h"
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

namespace {
Profile default_stack() {
  LoadOptions o;
  o.profile = "default";
  o.project = "p";
  o.project_dir = std::filesystem::temp_directory_path().string();
  o.vars = Variables([](const std::string&) { return std::nullopt; });
  return load_profile(o);
}

// Every label has a free place: no two labels meet, and none meets a service box or the host.
void check_no_overlap(const GraphLayout& g) {
  const Rect host{g.host_cx - g.host_r, g.host_cy - g.host_r, 2 * g.host_r, 2 * g.host_r};
  for (size_t i = 0; i < g.edges.size(); ++i) {
    const GraphEdge& a = g.edges[i];
    if (a.label.empty()) continue;
    CAPTURE(a.from);
    CAPTURE(a.to);
    CHECK(a.label_free);
    CHECK(a.label_box.w == label_width(a.label));
    CHECK_FALSE(a.label_box.intersects(host));
    CHECK(a.label_box.x >= 0);
    CHECK(a.label_box.x + a.label_box.w <= g.width);
    for (const auto& n : g.nodes) CHECK_FALSE(a.label_box.intersects(n.box));
    for (size_t j = i + 1; j < g.edges.size(); ++j)
      if (!g.edges[j].label.empty()) CHECK_FALSE(a.label_box.intersects(g.edges[j].label_box));
  }
}
}  // namespace

TEST_CASE("graph layout: the default stack's edge labels meet neither each other nor a box") {
  const GraphLayout g = layout_graph(default_stack());
  check_no_overlap(g);
  // Golden: where each label went ("from->to label @x,baseline").
  std::string placed;
  for (const auto& e : g.edges)
    if (!e.label.empty())
      placed += (e.from.empty() ? "host" : e.from) + "->" + e.to + " " + e.label + " @" + std::to_string(e.label_x) +
                "," + std::to_string(e.label_y) + "\n";
  CHECK(placed ==
        "host->postgres 5432→5432 @130,62\n"
        "host->redis 6379→6379 @319,91\n"
        "host->minio 9000→9000 @214,95\n"
        "host->qdrant 6333→6333 @277,175\n"
        "host->inference 8000→8000 @340,264\n"
        "host->gateway 8080→8080 @319,293\n"
        "host->leases auto→8090 @298,314\n"
        "host->bio_ai_server auto→8000 @133,45\n"
        "bio_ai_server->postgres healthy @463,45\n"
        "bio_ai_server->redis healthy @463,87\n"
        "host->bio_nexus auto→8000 @133,87\n"
        "bio_nexus->postgres healthy @463,104\n"
        "bio_worker->redis healthy @463,171\n"
        "bio_worker->inference healthy @463,297\n");
  // The SVG draws them where the layout put them.
  const std::string svg = graph_svg(default_stack());
  CHECK(svg.find("<text class=\"edge-label\" x=\"463\" y=\"104\" text-anchor=\"middle\">healthy</text>") !=
        std::string::npos);
}

TEST_CASE("graph layout: many services on one store and many ports still find free places") {
  Profile p;
  p.project = "p";
  Service store;
  store.name = "store";
  store.image = "store:1";
  store.ports = {{"127.0.0.1", 5432, 5432}, {"127.0.0.1", 0, 5433}};
  p.services.push_back(store);
  for (int i = 0; i < 6; ++i) {
    Service s;
    s.name = "app" + std::to_string(i);
    s.image = "app:1";
    s.ports = {{"127.0.0.1", 0, 8000}};
    s.depends_on = {{"store", i % 2 ? DependsOn::Condition::kStarted : DependsOn::Condition::kCompleted}};
    p.services.push_back(s);
  }
  const GraphLayout g = layout_graph(p);
  REQUIRE(g.edges.size() == 13);
  check_no_overlap(g);
}
