// ImageConfig: the typed keys of an image's Config, every other key kept, and the body
// of the container an assembled image is committed from.
#include <doctest/doctest.h>

#include "docker/image_config.h"

using namespace biodev::docker;
using nlohmann::json;

TEST_CASE("ImageConfig reads the engine's Config and keeps the keys it does not name") {
  ImageConfig c(json::parse(R"({"Env": ["A=1", "B=2"], "Cmd": ["run"], "Shell": ["/bin/bash", "-c"],
    "Healthcheck": {"Test": ["CMD", "true"]}, "ArgsEscaped": true, "Hostname": "x", "OnBuild": ["RUN y"],
    "ExposedPorts": {"80/tcp": {}}, "Volumes": null, "Labels": {"a": "b"}})"));
  CHECK(c.env() == std::vector<std::string>{"A=1", "B=2"});
  CHECK(c.cmd() == std::vector<std::string>{"run"});
  CHECK_FALSE(c.entrypoint().has_value());
  CHECK(c.shell() == std::vector<std::string>{"/bin/bash", "-c"});
  CHECK(c.exposed_ports() == std::set<std::string>{"80/tcp"});
  CHECK(c.volumes().empty());
  c.set_env("B", "3");
  c.set_env("C", "4");
  CHECK(c.env() == std::vector<std::string>{"A=1", "B=3", "C=4"});
  json body = c.commit_body("sha256:base", {{"dev.biodev.project", "p"}});
  CHECK(body ==
        json::parse(R"({"Env": ["A=1", "B=3", "C=4"], "Cmd": ["run"], "Shell": ["/bin/bash", "-c"],
    "Healthcheck": {"Test": ["CMD", "true"]}, "ArgsEscaped": true, "ExposedPorts": {"80/tcp": {}},
    "Volumes": null, "Labels": {"a": "b", "dev.biodev.project": "p"}, "Image": "sha256:base"})"));
}

TEST_CASE(
    "ImageConfig: a reset Cmd is committed as [], so the engine does not fill in the base's") {
  ImageConfig c(json::parse(R"({"Cmd": ["python3"]})"));
  c.set_entrypoint({"/entry"});
  c.set_cmd(std::nullopt);
  CHECK_FALSE(c.cmd().has_value());
  json body = c.commit_body("b", {});
  CHECK(body["Cmd"] == json::array());
  CHECK(body["Entrypoint"] == json({"/entry"}));
  CHECK(body["Labels"] == json::object());
  CHECK(ImageConfig(json("not an object")).commit_body("b", {}) ==
        json::parse(R"({"Image": "b", "Labels": {}, "Cmd": []})"));
}
