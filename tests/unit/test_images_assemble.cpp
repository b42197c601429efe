// Dockerfiles assembled without the builder: which qualify, and the image config the
// instructions give on a base config, against what the classic builder makes of them.
#include <doctest/doctest.h>

#include "images/assemble.h"

using namespace biodev::images;
namespace docker = biodev::docker;
using nlohmann::json;

namespace {

std::vector<Instruction> df(const char* text) { return parse_dockerfile(text); }

// The Config of a python image as GET /images/{name}/json shows it (trimmed).
docker::ImageConfig python_config() {
  return docker::ImageConfig(json::parse(R"({
    "Env": ["PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8"],
    "Cmd": ["python3"], "Entrypoint": null, "WorkingDir": "", "User": "",
    "Labels": {"org.example.base": "1"}, "ExposedPorts": null, "Volumes": null})"));
}

}  // namespace

TEST_CASE("Dockerfiles that run nothing are assembled; anything the builder must run is named") {
  CHECK(needs_builder(df("FROM python:3.12-slim\nARG V=dev\nENV V=${V}\nWORKDIR /app\nCOPY app.py .\n"
                         "USER 65534:65534\nEXPOSE 8000\nCMD [\"python3\", \"app.py\"]\n")) == "");
  CHECK(needs_builder(df("FROM python:3\nCOPY --chown=1000:1000 . /app\n")) == "");
  CHECK(needs_builder(df("FROM python:3\nRUN pip install x\n")) == "Dockerfile line 2: RUN");
  CHECK(needs_builder(df("FROM python:3\n\nADD x.tar.gz /\n")) == "Dockerfile line 3: ADD");
  CHECK(needs_builder(df("FROM a AS build\nFROM b\nCOPY --from=build /x /x\n")) ==
        "Dockerfile line 2: a second FROM (a multi-stage build)");
  CHECK(needs_builder(df("FROM --platform=linux/amd64 a\n")) == "Dockerfile line 1: FROM --platform=linux/amd64");
  CHECK(needs_builder(df("FROM a\nCOPY --chown=app:app x /x\n")) == "Dockerfile line 2: COPY --chown=app:app");
  CHECK(needs_builder(df("FROM a\nCOPY --chmod=755 x /x\n")) == "Dockerfile line 2: COPY --chmod=755");
  CHECK(needs_builder(df("FROM a\nHEALTHCHECK CMD true\n")) == "Dockerfile line 2: HEALTHCHECK");
  CHECK(needs_builder(df("FROM a\nSHELL [\"/bin/bash\", \"-c\"]\n")) == "Dockerfile line 2: SHELL");
  CHECK(needs_builder(df("FROM a\nONBUILD RUN x\n")) == "Dockerfile line 2: ONBUILD");
  CHECK(needs_builder(df("# nothing\n")) == "no FROM");
}

TEST_CASE("the base is the FROM image, with the ARGs before it") {
  auto ins = df("ARG PY=3.12\nARG VARIANT\nFROM python:${PY}-${VARIANT:-slim} AS app\n");
  CHECK(assembly_base(ins, {}) == "python:3.12-slim");
  CHECK(assembly_base(ins, {{"PY", "3.11"}, {"VARIANT", "bookworm"}}) == "python:3.11-bookworm");
}

TEST_CASE("the instructions applied to the base config, as the builder applies them") {
  auto ins = df(R"(FROM python:3.12-slim
ARG APP_VERSION=dev
ARG UNUSED
ENV APP_VERSION=${APP_VERSION} PYTHONUNBUFFERED=1
ENV PATH=/app/bin:$PATH
ENV GREETING "hello world"
LABEL org.example.team="core team" version=$APP_VERSION
WORKDIR /app
WORKDIR src
COPY app.py .
COPY --chown=65534:65534 ["conf/a.ini", "conf/b.ini", "/etc/app/"]
USER 65534:65534
EXPOSE 8000 9000-9001/udp
STOPSIGNAL SIGINT
VOLUME ["/data"]
CMD ["python3", "app.py"]
)");
  Assembly a = plan_assembly(ins, {{"APP_VERSION", "1.0"}}, python_config());
  CHECK(a.base == "python:3.12-slim");
  using Strings = std::vector<std::string>;
  CHECK(a.config.env() == Strings{"PATH=/app/bin:/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8",
                                  "APP_VERSION=1.0", "PYTHONUNBUFFERED=1", "GREETING=hello world"});
  CHECK(a.config.labels() == std::map<std::string, std::string>{{"org.example.base", "1"},
                                                                {"org.example.team", "core team"},
                                                                {"version", "1.0"}});
  CHECK(a.config.working_dir() == "/app/src");
  CHECK(a.workdirs == std::vector<std::string>{"/app", "/app/src"});
  CHECK(a.config.user() == "65534:65534");
  CHECK(a.config.exposed_ports() == std::set<std::string>{"8000/tcp", "9000/udp", "9001/udp"});
  CHECK(a.config.stop_signal() == "SIGINT");
  CHECK(a.config.volumes() == std::set<std::string>{"/data"});
  CHECK(a.config.cmd() == Strings{"python3", "app.py"});
  REQUIRE(a.copies.size() == 2);
  CHECK(a.copies[0].line == 10);
  CHECK(a.copies[0].sources == std::vector<std::string>{"app.py"});
  CHECK(a.copies[0].dest == "/app/src/");  // "." is the WORKDIR, a folder
  CHECK_FALSE(a.copies[0].has_owner);
  CHECK(a.copies[1].sources == std::vector<std::string>{"conf/a.ini", "conf/b.ini"});
  CHECK(a.copies[1].dest == "/etc/app/");
  CHECK(a.copies[1].has_owner);
  CHECK(a.copies[1].uid == 65534);
  CHECK(a.copies[1].gid == 65534);
}

TEST_CASE("ENTRYPOINT resets an inherited CMD, not one this Dockerfile set before it; shell forms") {
  using Strings = std::vector<std::string>;
  docker::ImageConfig base = python_config();
  auto a = plan_assembly(df("FROM p\nENTRYPOINT [\"/entry\"]\n"), {}, base);
  CHECK(a.config.entrypoint() == Strings{"/entry"});
  CHECK_FALSE(a.config.cmd().has_value());
  CHECK(a.config.commit_body("sha256:b", {})["Cmd"] ==
        json::array());  // sent empty, not the base's
  a = plan_assembly(df("FROM p\nCMD [\"serve\"]\nENTRYPOINT [\"/entry\"]\n"), {}, base);
  CHECK(a.config.cmd() == Strings{"serve"});
  a = plan_assembly(df("FROM p\nCMD python3 -m http.server $PORT\n"), {}, base);
  CHECK(a.config.cmd() ==
        Strings{"/bin/sh", "-c", "python3 -m http.server $PORT"});  // the shell expands it
  a = plan_assembly(df("FROM p\nCOPY --chown=7 a b\n"), {}, base);
  CHECK(a.copies[0].dest == "/b");  // relative to "/" without a WORKDIR; a file name
  CHECK(a.copies[0].uid == 7);
  CHECK(a.copies[0].gid == 7);
}

TEST_CASE("an instruction the builder would refuse names its line") {
  auto refused = [](const char* text) -> std::pair<int, std::string> {
    try {
      plan_assembly(df(text), {}, python_config());
    } catch (const AssemblyError& e) {
      return {e.line, e.what()};
    }
    return {0, ""};
  };
  CHECK(refused("FROM p\n\nCOPY app.py\n") == std::pair<int, std::string>{3, "COPY requires at least two arguments"});
  CHECK(refused("FROM p\nEXPOSE http\n") == std::pair<int, std::string>{2, "EXPOSE: \"http\" is not a port"});
  CHECK(refused("FROM p\nENV A\n").first == 2);
  CHECK(refused("FROM p\nENV A=\"open\n").first == 2);
  CHECK(refused("FROM p\nLABEL a=${B\n").first == 2);
}

TEST_CASE("Dockerfile words: quotes, escapes and ${VAR} forms as the builder's lexer reads them") {
  std::map<std::string, std::string> vars = {{"A", "x"}, {"EMPTY", ""}, {"SP", "a b"}};
  CHECK(dockerfile_words("one \"two three\" 'four $A' five\\ six $A${A}", vars) ==
        std::vector<std::string>{"one", "two three", "four $A", "five six", "xx"});
  CHECK(dockerfile_word("${A:-d} ${EMPTY:-d} ${EMPTY-d} ${UNSET-d} ${A:+set} ${UNSET:+set}.", vars) == "x d  d set .");
  CHECK(dockerfile_word("\"$SP\" \\$A $ 5$", vars) == "a b $A $ 5$");
  CHECK(dockerfile_word("\"say \\\"hi\\\" \\n\"", vars) == "say \"hi\" \\n");
  CHECK(dockerfile_words("", vars).empty());
}

TEST_CASE("paths in a Dockerfile come out absolute and clean") {
  CHECK(clean_path("a/./b/../c/") == "/a/c");
  CHECK(clean_path("/app//src/") == "/app/src");
  CHECK(clean_path("../..") == "/");
  CHECK(clean_path("") == "/");
}
