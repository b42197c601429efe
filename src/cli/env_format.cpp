#include "cli/env_format.h"

#include <nlohmann/json.hpp>

#include "util/strings.h"

namespace biodev::cli {

std::string format_env(const std::vector<std::pair<std::string, std::string>>& vars,
                       const std::string& format) {
  std::string out;
  if (format == "json") {
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    for (const auto& [k, v] : vars) j[k] = v;
    return j.dump(2) + "\n";
  }
  for (const auto& [k, v] : vars) {
    if (format == "shell") {
      out += "export " + k + "=" + shell_quote(v) + "\n";
    } else if (format == "github") {
      // Multi-line values need GitHub's heredoc form; a fixed delimiter that cannot
      // occur in the value keeps it unambiguous.
      if (v.find('\n') != std::string::npos) out += k + "<<BIODEV_EOF\n" + v + "\nBIODEV_EOF\n";
      else out += k + "=" + v + "\n";
    } else {  // dotenv
      bool plain = !v.empty() && v.find_first_of(" \t\"'#$\\\n") == std::string::npos;
      if (plain) {
        out += k + "=" + v + "\n";
      } else {
        std::string q;
        for (char c : v) {
          if (c == '"' || c == '\\' || c == '$') q += '\\';
          if (c == '\n') q += "\\n";
          else q += c;
        }
        out += k + "=\"" + q + "\"\n";
      }
    }
  }
  return out;
}

}  // namespace biodev::cli
