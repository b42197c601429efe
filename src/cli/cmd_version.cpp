#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "docker/errors.h"
#include "util/version.h"

namespace biodev::cli {

Runner setup_version(CLI::App& sub, Context& ctx) {
  return [&sub, &ctx] {
    (void)sub;
    nlohmann::json j = {{"biodev", kVersion}};
    std::string engine = "unreachable";
    try {
      docker::EngineIdentity id = ctx.client().engine();
      engine = id.name + " " + id.version + " (API " + ctx.client().api_version() + ")";
      j["engine"] = {{"name", id.name},
                     {"version", id.version},
                     {"api_version", ctx.client().api_version()},
                     {"endpoint", ctx.client().transport().describe()}};
    } catch (const docker::EngineError& e) {
      j["engine"] = {{"error", e.what()}};
      engine = std::string("unreachable (") + e.what() + ")";
    }
    if (ctx.options.json) std::cout << j.dump() << "\n";
    else std::cout << "biodev " << kVersion << "\nengine " << engine << "\n";
    return 0;
  };
}

}  // namespace biodev::cli
