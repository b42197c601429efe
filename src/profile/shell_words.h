// Shell command lines read the way /bin/sh would split them, for understanding
// healthchecks and `sh -c` wrappers (not for running anything). Quotes and backslashes
// are resolved; `|`, `||`, `&&`, `;`, `&` become operator tokens and redirections
// (`> /dev/null`, `2>&1`) are dropped with their target. No expansion: `$VAR` stays text.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace biodev::profile {

struct ShellToken {
  std::string text;
  bool is_operator = false;  // | || && ; &
};

std::vector<ShellToken> split_shell_words(std::string_view line);

// The simple commands of a tokenized line, split at operators: [["curl", "-f", URL],
// ["exit", "1"]] for `curl -f URL || exit 1`. Leading VAR=value assignments dropped.
std::vector<std::vector<std::string>> simple_commands(const std::vector<ShellToken>& tokens);

// A command's program without its folder: "curl" for "/usr/bin/curl".
std::string program_name(const std::string& word);

}  // namespace biodev::profile
