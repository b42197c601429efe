// Building a build: service against a scripted engine: the offline FROM substitute, the
// hash label that skips a rebuild, and the error that names the Dockerfile line.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "fake_transport.h"
#include "images/service_build.h"
#include "util/error.h"
#include "util/subprocess.h"

namespace fs = std::filesystem;
using namespace biodev;
using namespace biodev::images;
using docker::testing::FakeTransport;

namespace {

struct Recorder : progress::Reporter {
  std::vector<progress::Event> events;
  void event(const progress::Event& e) override { events.push_back(e); }
  void message(progress::Level, const std::string&) override {}
  void finish() override {}
  bool saw(const std::string& detail) const {
    for (const auto& e : events)
      if (e.detail == detail) return true;
    return false;
  }
};

struct Project {
  fs::path dir = fs::temp_directory_path() / ("biodev-sb-" + std::to_string(::getpid()));
  profile::Service svc;
  Project(const std::string& dockerfile) {
    fs::create_directories(dir);
    std::ofstream(dir / "Dockerfile") << dockerfile;
    std::ofstream(dir / "app.py") << "print(1)\n";
    svc.name = "api";
    svc.build = profile::BuildSpec{};
    svc.build->context = dir.string();
    svc.build->dockerfile = "Dockerfile";
  }
  ~Project() { fs::remove_all(dir); }
};

std::string tar_listing(const std::string& tar) {
  std::string out;
  SubprocessOptions o;
  o.argv = {"tar", "-tvf", tar, "--numeric-owner"};
  run_subprocess(o, [&](OutputStream, std::string_view line) {
    // "-rw-r--r-- 0/0  9 1970-01-01 00:00 app/app.py": mode, owner and name.
    std::vector<std::string> f;
    std::string w;
    for (char c : line) {
      if (c == ' ') {
        if (!w.empty()) f.push_back(w);
        w.clear();
      } else {
        w += c;
      }
    }
    if (!w.empty()) f.push_back(w);
    if (f.size() >= 6) out += f[0] + " " + f[1] + " " + f.back() + "\n";
  });
  return out;
}

// The scripted engine, also reading the Dockerfile out of each build context it gets
// (the context file is gone once the build returns).
struct CapturingTransport final : docker::Transport {
  std::shared_ptr<FakeTransport> inner = std::make_shared<FakeTransport>();
  std::string dockerfile;
  std::string layer;  // the members of the last tar put into a container
  docker::HttpResponse request(const docker::HttpRequest& req) override {
    if (req.method == "PUT" && req.target.find("/archive") != std::string::npos) layer = tar_listing(req.body_file);
    return inner->request(req);
  }
  docker::HttpResponse stream(const docker::HttpRequest& req, const docker::ChunkSink& sink) override;
  std::unique_ptr<docker::RawStream> upgrade(const docker::HttpRequest& req) override { return inner->upgrade(req); }
  std::string describe() const override { return inner->describe(); }
};

std::string tar_member(const std::string& tar, const std::string& name) {
  std::string out;
  SubprocessOptions o;
  o.argv = {"tar", "-xOf", tar, name};
  run_subprocess(o, [&](OutputStream, std::string_view line) { out += std::string(line) + "\n"; });
  return out;
}

docker::HttpResponse CapturingTransport::stream(const docker::HttpRequest& req, const docker::ChunkSink& sink) {
  if (req.target.find("/build") != std::string::npos) dockerfile = tar_member(req.body_file, "Dockerfile");
  return inner->stream(req, sink);
}

}  // namespace

TEST_CASE("a missing FROM image with no registry is built from its offline substitute, and said so") {
  Project p("FROM python:3.12-slim\nRUN true\nCOPY app.py /app/\n");  // RUN: the builder's
  auto capture = std::make_shared<CapturingTransport>();
  auto& t = capture->inner;
  t->reply(404, R"({"message":"no such image"})")                          // the tag
      .reply(404, R"({"message":"no such image"})")                        // python:3.12-slim
      .reply(200, R"({"errorDetail":{"message":"dial tcp: lookup registry-1.docker.io"}})")  // its pull
      .reply(200, R"({"Id":"sha256:sub","Config":{}})")                    // the substitute
      .reply(200, "{\"stream\":\"Step 1/2 : FROM biodev/python:3.11\\n\"}\n{\"aux\":{\"ID\":\"sha256:new\"}}\n")
      .reply(200, "{}");                                                   // prune
  docker::Client client(capture);
  Recorder rep;
  ServiceBuildOptions o;
  o.substitute = [](const std::string& ref) -> std::optional<std::string> {
    if (ref == "python:3.12-slim") return "biodev/python:3.11";
    return std::nullopt;
  };
  ServiceBuildResult r = ensure_built(client, "shop", p.svc, o, rep);
  CHECK(r.image == "shop-api");
  CHECK(r.image_id == "sha256:new");
  CHECK(r.built);
  CHECK(capture->dockerfile == "FROM biodev/python:3.11\nRUN true\nCOPY app.py /app/\n");
  CHECK(rep.saw("python:3.12-slim -> biodev/python:3.11 (offline substitute)"));
  const std::string& target = t->requests[4].target;
  CHECK(target.find("t=shop-api") != std::string::npos);
  CHECK(target.find("dev.biodev.build-hash") != std::string::npos);
  CHECK(target.find("dockerfile=Dockerfile") != std::string::npos);
}

TEST_CASE("an image whose build-hash label matches is used without a build; --build builds anyway") {
  Project p("FROM scratch\nCOPY app.py /\n");
  // The hash of this context, taken from a first build's labels.
  std::string hash;
  {
    auto t = std::make_shared<FakeTransport>();
    t->reply(404, "{}").reply(200, "{\"aux\":{\"ID\":\"sha256:one\"}}\n").reply(200, "{}");
    docker::Client client(t);
    Recorder rep;
    ensure_built(client, "shop", p.svc, {}, rep);
    const std::string& target = t->requests[1].target;
    auto at = target.find("build-hash%22%3A%22");
    REQUIRE(at != std::string::npos);
    hash = target.substr(at + 19, 64);
  }
  auto info = R"({"Id":"sha256:one","Config":{"Labels":{"dev.biodev.build-hash":")" + hash + R"("}}})";
  auto t = std::make_shared<FakeTransport>();
  t->reply(200, info);
  docker::Client client(t);
  Recorder rep;
  ServiceBuildResult r = ensure_built(client, "shop", p.svc, {}, rep);
  CHECK_FALSE(r.built);
  CHECK(r.image_id == "sha256:one");
  CHECK(t->requests.size() == 1);
  CHECK(rep.events.empty());
  // Forced: no inspect, a build.
  t->reply(200, "{\"aux\":{\"ID\":\"sha256:two\"}}\n").reply(200, "{}");
  ServiceBuildOptions force;
  force.force = true;
  CHECK(ensure_built(client, "shop", p.svc, force, rep).image_id == "sha256:two");
  CHECK(t->requests.size() == 3);
  CHECK(t->requests[1].target.find("/build?") != std::string::npos);

  // build_pending asks the same question without building.
  auto q = std::make_shared<FakeTransport>();
  q->reply(200, info).reply(404, "{}").reply(200, R"({"Id":"sha256:old","Config":{"Labels":{"dev.biodev.build-hash":"x"}}})");
  docker::Client asking(q);
  CHECK_FALSE(build_pending(asking, "shop", p.svc, false));
  CHECK(build_pending(asking, "shop", p.svc, false));  // no image under the tag
  CHECK(build_pending(asking, "shop", p.svc, false));  // another context's hash
  CHECK(build_pending(asking, "shop", p.svc, true));   // forced: not even asked
  CHECK(q->requests.size() == 3);
}

TEST_CASE("a failing step is an error naming the service, the Dockerfile line and the step's output") {
  Project p("FROM scratch\n\n# build it\nRUN make \\\n  all\n");
  auto t = std::make_shared<FakeTransport>();
  t->reply(404, "{}").reply(200,
                            "{\"stream\":\"Step 1/2 : FROM scratch\\n\"}\n"
                            "{\"stream\":\"Step 2/2 : RUN make all\\n\"}\n"
                            // The builder colours a step's stderr; the error shows the text.
                            "{\"stream\":\"\\u001b[91mmake: *** No rule to make target 'all'.\\n\\u001b[0m\"}\n"
                            "{\"errorDetail\":{\"message\":\"The command '/bin/sh -c make all' returned a non-zero code: 2\"}}\n");
  docker::Client client(t);
  Recorder rep;
  try {
    ensure_built(client, "shop", p.svc, {}, rep);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::kFailed);
    CHECK(std::string(e.what()) == "service api: build failed at " + p.dir.string() +
                                       "/Dockerfile:4 (RUN make all): The command '/bin/sh -c make all' "
                                       "returned a non-zero code: 2; last output:\n"
                                       "    make: *** No rule to make target 'all'.");
  }
}

TEST_CASE("a Dockerfile that runs nothing is assembled: one container, one tar, one commit, no builder") {
  Project p("FROM python:3.12-slim\nARG V=dev\nENV APP_VERSION=$V\nWORKDIR /app\nCOPY app.py .\n"
            "COPY --chown=10:20 app.py /srv/main.py\nUSER 65534\nCMD [\"python3\", \"app.py\"]\n");
  p.svc.build->args = {{"V", "1.0"}};
  auto capture = std::make_shared<CapturingTransport>();
  auto& t = capture->inner;
  auto stat = [](const std::string& json) {
    // What the engine sends for HEAD /containers/{id}/archive: base64 of the stat.
    std::string b64 = json == "dir" ? "eyJuYW1lIjoiYXBwIiwibW9kZSI6MjE0NzQ4NDE0MX0=" : "";
    docker::testing::Reply r{200, "", {}, {{"x-docker-container-path-stat", b64}}};
    return r;
  };
  t->reply(404, "{}")  // the tag
      .reply(200, R"({"Id":"sha256:py","Config":{}})")  // python:3.12-slim is here
      .reply(200, R"({"Id":"sha256:py","Config":{"Env":["PATH=/usr/bin"],"Cmd":["python3"],"Labels":null}})");
  t->replies.push_back(docker::testing::Reply{201, R"({"Id":"c1"})", {}, {}});  // create
  t->replies.push_back(stat("dir"));                                          // /app: made by the create
  t->replies.push_back(docker::testing::Reply{404, "{}", {}, {}});            // /srv/main.py: not there
  t->reply(200, "").reply(201, R"({"Id":"sha256:img"})").reply(204, "").reply(200, "{}");
  docker::Client client(capture);
  Recorder rep;
  ServiceBuildResult r = ensure_built(client, "shop", p.svc, {}, rep);
  CHECK(r.built);
  CHECK(r.image_id == "sha256:img");
  REQUIRE(t->requests.size() == 10);
  auto create = nlohmann::json::parse(t->requests[3].body);
  CHECK(t->requests[3].target.find("/containers/create") != std::string::npos);
  CHECK(create["Image"] == "sha256:py");
  CHECK(create["Env"] == nlohmann::json({"PATH=/usr/bin", "APP_VERSION=1.0"}));
  CHECK(create["Cmd"] == nlohmann::json({"python3", "app.py"}));
  CHECK(create["WorkingDir"] == "/app");
  CHECK(create["User"] == "65534");
  CHECK(create["Labels"]["dev.biodev.project"] == "shop");
  CHECK(create["Labels"]["dev.biodev.build-hash"].get<std::string>().size() == 64);
  CHECK(t->requests[4].method == "HEAD");
  CHECK(t->requests[4].target.find("archive?path=%2Fapp") != std::string::npos);
  CHECK(t->requests[6].method == "PUT");
  CHECK(t->requests[6].target.find("copyUIDGID=1") != std::string::npos);
  CHECK(capture->layer == "-rw-r--r-- 0/0 app/app.py\n-rw-r--r-- 10/20 srv/main.py\n");
  CHECK(t->requests[7].target.find("/commit?container=c1&repo=shop-api&tag=latest") != std::string::npos);
  CHECK(t->requests[8].method == "DELETE");  // the container goes
  CHECK(t->requests[9].target.find("/images/prune") != std::string::npos);
  CHECK(rep.saw("assembling shop-api on python:3.12-slim (no RUN: no builder needed)"));
}

TEST_CASE("a COPY of a file the context lacks names the Dockerfile line, and the container goes") {
  Project p("FROM python:3.12-slim\n\nCOPY missing.py /app/\n");
  auto t = std::make_shared<FakeTransport>();
  t->reply(404, "{}").reply(200, R"({"Id":"sha256:py","Config":{}})").reply(200, R"({"Id":"sha256:py","Config":{}})");
  t->replies.push_back(docker::testing::Reply{201, R"({"Id":"c1"})", {}, {}});
  t->reply(204, "");  // the removal
  docker::Client client(t);
  Recorder rep;
  try {
    ensure_built(client, "shop", p.svc, {}, rep);
    FAIL("no error");
  } catch (const Error& e) {
    std::string what = e.what();
    CHECK(what.find("service api: build failed at " + p.dir.string() + "/Dockerfile:3 (COPY missing.py /app/): COPY failed: file not found in "
                    "build context or excluded by .dockerignore: stat missing.py") == 0);
  }
  CHECK(t->last().method == "DELETE");
}
