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

struct Recorder : ui::Reporter {
  std::vector<ui::Event> events;
  void event(const ui::Event& e) override { events.push_back(e); }
  void message(ui::Level, const std::string&) override {}
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

// The scripted engine, also reading the Dockerfile out of each build context it gets
// (the context file is gone once the build returns).
struct CapturingTransport final : docker::Transport {
  std::shared_ptr<FakeTransport> inner = std::make_shared<FakeTransport>();
  std::string dockerfile;
  docker::HttpResponse request(const docker::HttpRequest& req) override { return inner->request(req); }
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
  Project p("FROM python:3.12-slim\nCOPY app.py /app/\n");
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
  CHECK(capture->dockerfile == "FROM biodev/python:3.11\nCOPY app.py /app/\n");
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
  t->reply(200, info).reply(200, "{\"aux\":{\"ID\":\"sha256:two\"}}\n").reply(200, "{}");
  ServiceBuildOptions force;
  force.force = true;
  CHECK(ensure_built(client, "shop", p.svc, force, rep).image_id == "sha256:two");
}

TEST_CASE("a failing step is an error naming the service, the Dockerfile line and the step's output") {
  Project p("FROM scratch\n\n# build it\nRUN make \\\n  all\n");
  auto t = std::make_shared<FakeTransport>();
  t->reply(404, "{}").reply(200,
                            "{\"stream\":\"Step 1/2 : FROM scratch\\n\"}\n"
                            "{\"stream\":\"Step 2/2 : RUN make all\\n\"}\n"
                            "{\"stream\":\"make: *** No rule to make target 'all'.\\n\"}\n"
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
