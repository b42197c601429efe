#include <doctest/doctest.h>

#include "profile/errors.h"
#include "profile/interpolate.h"
#include "profile/reader.h"

using namespace biodev::profile;

namespace {
Variables vars() {
  return Variables([](const std::string& n) -> std::optional<std::string> {
    if (n == "SET") return "value";
    if (n == "EMPTY") return "";
    return std::nullopt;
  });
}
std::string run(const std::string& s) { return interpolate(s, vars(), SourceLoc{"f", 1, 1}).value; }
}  // namespace

TEST_CASE("interpolation follows compose semantics") {
  CHECK(run("plain") == "plain");
  CHECK(run("$$SET") == "$SET");
  CHECK(run("${SET}") == "value");
  CHECK(run("$SET/x") == "value/x");
  CHECK(run("${UNSET}") == "");
  CHECK(run("${UNSET:-d}") == "d");
  CHECK(run("${EMPTY:-d}") == "d");
  CHECK(run("${EMPTY-d}") == "");
  CHECK(run("${UNSET-d}") == "d");
  CHECK(run("${SET:+alt}") == "alt");
  CHECK(run("${EMPTY:+alt}") == "");
  CHECK(run("${EMPTY+alt}") == "alt");
  CHECK(run("${UNSET:-${SET}}") == "value");
  CHECK(run("${UNSET:-${ALSO_UNSET:-deep}}") == "deep");
  CHECK(run("a ${SET} b ${UNSET:-c} d") == "a value b c d");
  CHECK(run("cost: 5$") == "cost: 5$");
}

TEST_CASE("interpolation errors name the variable and the message") {
  auto err = [](const std::string& s) {
    try {
      run(s);
    } catch (const ProfileError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(err("${UNSET:?please set it}") == "f:1:1: UNSET: please set it");
  CHECK(err("${EMPTY:?}") == "f:1:1: EMPTY: required variable is not set");
  CHECK(err("${EMPTY?x}") == "no error");
  CHECK(err("${SET") == "f:1:1: unterminated ${SET (missing })");
  CHECK(err("${A B}") == "f:1:1: invalid variable name \"A B\" in ${...}");
  CHECK(err("${SET:x}") == "f:1:1: unsupported modifier in ${SET:x...}");
}

TEST_CASE("unset variables are reported for a warning") {
  auto r = interpolate("${A}-${B:-x}-$C", vars(), SourceLoc{});
  CHECK(r.unset == std::vector<std::string>{"A", "C"});
}

TEST_CASE(".env parsing") {
  auto kv = parse_dotenv(
      "# comment\n"
      "A=1\n"
      "export B = two words # trailing comment\n"
      "C='lit ${A} #x'\n"
      "D=\"esc\\n${A}\"\n"
      "E=${A}${SET}\n"
      "\n"
      "F=\n",
      ".env", vars());
  REQUIRE(kv.size() == 6);
  CHECK(kv[0] == std::pair<std::string, std::string>{"A", "1"});
  CHECK(kv[1].second == "two words");
  CHECK(kv[2].second == "lit ${A} #x");
  CHECK(kv[3].second == "esc\n1");
  CHECK(kv[4].second == "1value");
  CHECK(kv[5].second == "");
  CHECK_THROWS_WITH_AS(parse_dotenv("A=1\nB\n", ".env", vars()), ".env:2:1: expected KEY=VALUE",
                       ProfileError);
  CHECK_THROWS_WITH_AS(parse_dotenv("A='x\n", ".env", vars()), ".env:1:3: unterminated ' quote",
                       ProfileError);
  CHECK_THROWS_WITH_AS(parse_dotenv("1A=x\n", ".env", vars()), ".env:1:1: invalid variable name \"1A\"",
                       ProfileError);
}

TEST_CASE("durations and sizes") {
  CHECK(parse_duration_ms("250ms") == 250);
  CHECK(parse_duration_ms("5s") == 5000);
  CHECK(parse_duration_ms("1.5s") == 1500);
  CHECK(parse_duration_ms("2m") == 120000);
  CHECK(parse_duration_ms("3") == 3000);
  CHECK_FALSE(parse_duration_ms("soon"));
  CHECK_FALSE(parse_duration_ms("5 parsecs"));
  CHECK(parse_bytes("512m") == 512LL << 20);
  CHECK(parse_bytes("1g") == 1LL << 30);
  CHECK(parse_bytes("1.5G") == 3LL << 29);
  CHECK(parse_bytes("64KB") == 64LL << 10);
  CHECK(parse_bytes("1000") == 1000);
  CHECK_FALSE(parse_bytes("lots"));
  CHECK_FALSE(parse_bytes("-1m"));
}
