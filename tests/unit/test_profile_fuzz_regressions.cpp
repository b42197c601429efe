// Inputs that once crashed, hung or misled the profile loader. Each was found by
// tests/fuzz/fuzz_profile or while writing tests/profiles/bad; the comment names the
// failure before the fix.
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "profile/errors.h"
#include "profile/loader.h"
#include "profile/node.h"

using namespace biodev::profile;

namespace {

// The first diagnostic parse_yaml gives for `text`, or "no error".
std::string yaml_error(const std::string& text) {
  try {
    parse_yaml(text, "p.yaml");
  } catch (const ProfileError& e) {
    return e.diagnostics().front().to_string();
  }
  return "no error";
}

LoadOptions options() {
  LoadOptions o;
  o.profile = "p.yaml";
  o.project_dir = BIODEV_TEST_DATA;
  o.project = "test";
  o.vars = Variables([](const std::string&) -> std::optional<std::string> { return std::nullopt; });
  return o;
}

std::vector<std::string> load_errors(const std::string& text) {
  std::vector<std::string> out;
  try {
    load_profile_text(text, "p.yaml", options());
  } catch (const ProfileError& e) {
    for (const auto& d : e.diagnostics()) out.push_back(d.to_string());
  }
  return out;
}

}  // namespace

TEST_CASE("a stray comma is a syntax error, not an endless loop") {
  // yaml-cpp 0.7's LoadAll returned an empty document for "," without consuming it, and
  // looped forever, allocating, until the process ran out of memory.
  CHECK(yaml_error(",") == "p.yaml:1:1: YAML syntax error: unexpected \",\"");
  CHECK(yaml_error("# expect: x\n   , s3\nservices: {}\n") ==
        "p.yaml:2:4: YAML syntax error: unexpected \",\"");
  CHECK(yaml_error("- a\n,\n") == "p.yaml:2:1: YAML syntax error: unexpected \",\"");
  // A real second document is still reported as such.
  CHECK(yaml_error("a: 1\n---\nb: 2\n") ==
        "p.yaml:2:1: a profile is a single YAML document; found a second one");
}

TEST_CASE("a self-referencing anchor is rejected, not followed until the stack overflows") {
  CHECK(yaml_error("x-a: &a [*a]\nservices: {}\n").find("YAML nested deeper than 64 levels") !=
        std::string::npos);
  CHECK(yaml_error("x-a: &a {k: *a}\n").find("YAML nested deeper") != std::string::npos);
}

TEST_CASE("aliases that multiply are bounded, not expanded to billions of nodes") {
  // Nine levels of ten aliases each: 10^9 nodes from 500 bytes.
  std::string text = "x-l0: &l0 [a, a, a, a, a, a, a, a, a, a]\n";
  for (int i = 1; i < 9; ++i) {
    text += "x-l" + std::to_string(i) + ": &l" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) text += (j ? ", *l" : "*l") + std::to_string(i - 1);
    text += "]\n";
  }
  auto start = std::chrono::steady_clock::now();
  CHECK(yaml_error(text).find("YAML expands to more than") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
  // Ordinary anchors and merge keys are untouched by the limits.
  CHECK(yaml_error("x-env: &env {A: b}\nservices:\n  web: {env: *env, <<: {image: x}}\n") ==
        "no error");
}

TEST_CASE("a quote left open at the end of the file is a syntax error") {
  // yaml-cpp 0.7 accepts it when the text ends with a newline, and the string silently
  // swallows every following line: `image: "busybox:1.36` loaded with the command inside
  // the image name.
  CHECK(yaml_error("services:\n  web:\n    image: \"busybox:1.36\n    command: sleep\n") ==
        "p.yaml:3:12: YAML syntax error: unterminated double-quoted string");
  CHECK(yaml_error("a: 'it''s\n") ==
        "p.yaml:1:4: YAML syntax error: unterminated single-quoted string");
  CHECK(yaml_error("'open key: 1\n") ==
        "p.yaml:1:1: YAML syntax error: unterminated single-quoted string");
  // Closed quotes with escapes, and quoted strings over several lines, are fine.
  CHECK(yaml_error("a: 'it''s'\nb: \"say \\\"hi\\\"\"\nc: \"two\n  lines\"\n") == "no error");
  CHECK(yaml_error("a: \"x\\\\\"\n") == "no error");
}

TEST_CASE("an empty profile and a list profile say what they are") {
  CHECK(load_errors("# nothing here\n") ==
        std::vector<std::string>{"p.yaml:1:1: the profile is empty; it needs \"services\""});
  CHECK(load_errors("- services\n") ==
        std::vector<std::string>{"p.yaml:1:1: a profile must be a mapping at the top level, "
                                 "not a list"});
}

TEST_CASE("an invalid project: is a profile error at its line, whatever -p says") {
  // It was a UsageError without a location, and only when neither -p nor
  // BIODEV_PROJECT was given.
  CHECK(load_errors("project: Bio Dev\nservices:\n  web: {image: busybox:1.36}\n") ==
        std::vector<std::string>{"p.yaml:1:10: invalid project name \"Bio Dev\": use lowercase "
                                 "letters, digits, _ and -, starting with a letter or digit"});
}

TEST_CASE("a mistake in a service with an offline variant is reported once") {
  // The offline variant re-reads every key of the base service, so each diagnostic
  // came twice.
  CHECK(load_errors("services:\n  web:\n    image: busybox:1.36\n    comand: x\n"
                    "    offline: {image: local/busybox:1}\n") ==
        std::vector<std::string>{
            "p.yaml:4:5: unknown key \"comand\" in service web (did you mean \"command\"?)"});
}

TEST_CASE("a service left empty needs an image instead of loading without one") {
  CHECK(load_errors("services:\n  web:\n") ==
        std::vector<std::string>{"p.yaml:2:3: service web needs an \"image\" or a \"build\""});
}
