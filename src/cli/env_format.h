// Renders variables as shell exports, a .env file, JSON or GitHub's $GITHUB_ENV syntax.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace biodev::cli {

std::string format_env(const std::vector<std::pair<std::string, std::string>>& vars,
                       const std::string& format);

}  // namespace biodev::cli
