#include <doctest/doctest.h>

#include "profile/shell_words.h"

using namespace biodev::profile;

namespace {
// Operators shown as "<op>" to tell them from quoted words.
std::vector<std::string> words(const std::string& line) {
  std::vector<std::string> out;
  for (const auto& t : split_shell_words(line)) out.push_back(t.is_operator ? "<" + t.text + ">" : t.text);
  return out;
}
}  // namespace

TEST_CASE("shell words: quotes, operators and redirections") {
  using V = std::vector<std::string>;
  CHECK(words("curl -f http://x/ || exit 1") == V{"curl", "-f", "http://x/", "<||>", "exit", "1"});
  CHECK(words("a 'b c' \"d \\\"e\\\"\" f\\ g") == V{"a", "b c", "d \"e\"", "f g"});
  CHECK(words("redis-cli ping|grep PONG") == V{"redis-cli", "ping", "<|>", "grep", "PONG"});
  CHECK(words("x >/dev/null 2>&1 && y 2> err; z") == V{"x", "<&&>", "y", "<;>", "z"});
  CHECK(words("echo 12 3") == V{"echo", "12", "3"});
  CHECK(words(":> /dev/tcp/127.0.0.1/6333") == V{":"});
  CHECK(words("a 2>/dev/null b") == V{"a", "b"});
  CHECK(words("'|' \"&&\"") == V{"|", "&&"});
  auto cmds = simple_commands(split_shell_words("PGPASSWORD=x pg_isready -U a && true"));
  REQUIRE(cmds.size() == 2);
  CHECK(cmds[0] == V{"pg_isready", "-U", "a"});
  CHECK(cmds[1] == V{"true"});
}
