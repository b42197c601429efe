// `biodev config` and `biodev validate`: the profile alone, no engine.
#include <iostream>

#include "cli/commands.h"
#include "profile/print.h"
#include "profile/print_compose.h"
#include "util/redact.h"

namespace biodev::cli {

Runner setup_config(CLI::App& sub, Context& ctx) {
  auto services = std::make_shared<bool>(false);
  auto format = std::make_shared<std::string>("profile");
  sub.add_flag("--services", *services, "Print only the service names, one per line");
  sub.add_option("--format", *format,
                 "profile (biodev's own form) or compose (a Compose file docker compose can run)")
      ->check(CLI::IsMember({"profile", "compose"}))
      ->default_val("profile");
  return [&ctx, services, format] {
    const profile::Profile& p = ctx.profile();
    if (*services) {
      for (const auto& s : p.services) std::cout << s.name << "\n";
      return 0;
    }
    auto j = *format == "compose" ? profile::to_compose_json(p, global_redactor())
                                  : profile::to_json(p, global_redactor());
    if (ctx.options.json) std::cout << j.dump(2) << "\n";
    else std::cout << profile::json_to_yaml(j);
    return 0;
  };
}

Runner setup_validate(CLI::App& sub, Context& ctx) {
  (void)sub;
  return [&ctx] {
    const profile::Profile& p = ctx.profile();
    if (ctx.options.json) {
      std::cout << nlohmann::json{{"valid", true}, {"profile", p.source}, {"services", p.service_names()},
                                  {"warnings", p.warnings}}
                       .dump()
                << "\n";
    } else {
      std::cout << p.source << ": ok (" << p.services.size() << " services";
      if (!p.warnings.empty()) std::cout << ", " << p.warnings.size() << " warnings";
      std::cout << ")\n";
    }
    return 0;
  };
}

}  // namespace biodev::cli
