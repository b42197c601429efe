// The Dockerfile pieces builds need: instruction lines, FROM bases and rewrites, and
// error messages that name the line.
#include <doctest/doctest.h>

#include <stdexcept>

#include "images/dockerfile.h"
#include "images/service_build.h"

using namespace biodev::images;

namespace {
const char* kFile =
    "# syntax comment\n"
    "ARG BASE=python:3.11\n"
    "FROM python:3.12-slim AS deps\n"
    "RUN pip install \\\n"
    "    # inside a continuation\n"
    "    flask\n"
    "\n"
    "FROM deps\n"
    "FROM --platform=linux/amd64 redis:7 AS cache\n"
    "FROM ${BASE}\n"
    "COPY --from=deps /x /x\n"
    "FROM scratch\n";
}

TEST_CASE("instructions keep the line they start on; continuations are joined") {
  auto ins = parse_dockerfile(kFile);
  REQUIRE(ins.size() == 8);
  CHECK(ins[0].line == 2);
  CHECK(ins[0].keyword == "ARG");
  CHECK(ins[2].line == 4);
  CHECK(ins[2].keyword == "RUN");
  CHECK(ins[2].text == "RUN pip install flask");
  CHECK(ins[3].line == 8);
  CHECK(ins[7].keyword == "FROM");
}

TEST_CASE("base images skip stages, scratch and ARG references") {
  CHECK(base_images(parse_dockerfile(kFile)) == std::vector<std::string>{"python:3.12-slim", "redis:7"});
}

TEST_CASE("FROM rewrites touch only the FROM lines that name a replaced image") {
  std::string out = rewrite_from(kFile, {{"python:3.12-slim", "biodev/python:3.11"}});
  CHECK(out.find("FROM biodev/python:3.11 AS deps\n") != std::string::npos);
  CHECK(out.find("python:3.12-slim") == std::string::npos);
  CHECK(out.find("FROM --platform=linux/amd64 redis:7 AS cache\n") != std::string::npos);
  CHECK(out.size() == std::string(kFile).size() - std::string("python:3.12-slim").size() +
                          std::string("biodev/python:3.11").size());
  CHECK(rewrite_from("from  python:3.12-slim\n", {{"python:3.12-slim", "b:1"}}) == "from  b:1\n");
}

TEST_CASE("a target cuts the Dockerfile before the next stage") {
  CHECK(cut_to_target(kFile, "DEPS") ==
        "# syntax comment\nARG BASE=python:3.11\nFROM python:3.12-slim AS deps\nRUN pip install \\\n"
        "    # inside a continuation\n    flask\n\n");
  std::string cache = cut_to_target(kFile, "cache");
  CHECK(cache.ends_with("FROM deps\nFROM --platform=linux/amd64 redis:7 AS cache\n"));
  CHECK_THROWS_AS(cut_to_target(kFile, "nope"), std::invalid_argument);
}

TEST_CASE("a build error names the service, the Dockerfile line and the engine's message") {
  auto ins = parse_dockerfile("FROM biodev/python:3.11\nCOPY app.py /app/\nRUN exit 3\n");
  CHECK(step_number("Step 3/3 : RUN exit 3") == 3);
  CHECK(step_number(" ---> Running in 1234") == 0);
  CHECK(build_failure("api", "/src/Dockerfile", ins, 3,
                      "The command '/bin/sh -c exit 3' returned a non-zero code: 3") ==
        "service api: build failed at /src/Dockerfile:3 (RUN exit 3): The command '/bin/sh -c exit 3' "
        "returned a non-zero code: 3");
  // Parse errors come before any step, with the line in the engine's message.
  CHECK(build_failure("api", "/src/Dockerfile", ins, 0,
                      "dockerfile parse error line 2: unknown instruction: COPYY")
            .starts_with("service api: build failed at /src/Dockerfile:2 (COPY app.py /app/): dockerfile parse"));
  CHECK(build_failure("api", "/src/Dockerfile", ins, 0, "no space left") ==
        "service api: build failed at /src/Dockerfile: no space left");
}

TEST_CASE("a build service is tagged with its image, else <project>-<service>") {
  biodev::profile::Service s;
  s.name = "Api";
  CHECK(build_tag("Shop", s) == "shop-api");
  s.image = "acme/api:dev";
  CHECK(build_tag("shop", s) == "acme/api:dev");
}
