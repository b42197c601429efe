// `biodev env`: the variables applications use in prod (DATABASE_URL, REDIS_URL,
// S3_ENDPOINT, ...) pointing at this stack's published ports.
#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "cli/env_format.h"
#include "plan/exports.h"

namespace biodev::cli {

Runner setup_env(CLI::App& sub, Context& ctx) {
  auto format = std::make_shared<std::string>("shell");
  sub.add_option("--format", *format, "shell (export K=V), dotenv, json, or github (appends to $GITHUB_ENV)")
      ->check(CLI::IsMember({"shell", "dotenv", "json", "github"}));
  return [&ctx, format] {
    const profile::Profile& p = ctx.profile();
    plan::ObservedState obs = plan::observe(ctx.client(), p.project);
    auto vars = plan::resolve_exports(p, plan::published_ports(obs), plan::running_variants(obs));
    if (*format == "github") {
      const char* path = std::getenv("GITHUB_ENV");
      std::string text = format_env(vars, "github");
      if (path && *path) {
        std::ofstream out(path, std::ios::app);
        if (!out) throw Error(ExitCode::kFailed, std::string("cannot append to $GITHUB_ENV (") + path + ")");
        out << text;
        std::cerr << "appended " << vars.size() << " variables to $GITHUB_ENV\n";
        return 0;
      }
      std::cout << text;
      return 0;
    }
    std::cout << format_env(vars, ctx.options.json ? "json" : *format);
    return 0;
  };
}

}  // namespace biodev::cli
