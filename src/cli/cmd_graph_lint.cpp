// `biodev graph` and `biodev lint`: the profile as a diagram, and advice on it.
#include <iostream>

#include "cli/commands.h"
#include "docker/errors.h"
#include "plan/sandbox.h"
#include "profile/graph.h"
#include "profile/lint.h"

namespace biodev::cli {

Runner setup_graph(CLI::App& sub, Context& ctx) {
  auto format = std::make_shared<std::string>("mermaid");
  auto shared = std::make_shared<bool>(false);
  sub.add_option("--format", *format, "mermaid or dot")->check(CLI::IsMember({"mermaid", "dot"}));
  sub.add_flag("--shared-sandbox", *shared,
               "Draw the shared network sandboxes `up --shared-sandbox` and `run` make (shown anyway when the "
               "profile sets shared_sandbox)");
  return [&ctx, format, shared] {
    const profile::Profile& p = ctx.profile();
    std::vector<profile::GraphSandbox> groups;
    if (*shared || p.shared_sandbox)
      for (const auto& g : plan::group_sandboxes(p).groups) groups.push_back({g.key, g.members});
    std::cout << (*format == "dot" ? profile::graph_dot(p, groups) : profile::graph_mermaid(p, groups));
    return 0;
  };
}

namespace {

// The default user of each image the profile names that the engine has. An image the
// engine cannot inspect is linted from the profile alone, and so is everything without
// an engine.
std::map<std::string, std::string> image_users(docker::Client& client, const profile::Profile& p) {
  std::map<std::string, std::string> users;
  for (const auto& s : p.services)
    for (const profile::Service* v : {&s, s.offline.get()}) {
      if (!v || v->image.empty()) continue;
      try {
        if (auto info = client.inspect_image(v->image)) users[v->image] = info->user;
      } catch (const docker::EngineError& e) {
        if (e.kind() == docker::ErrorKind::kUnreachable) return users;
      }
    }
  return users;
}

}  // namespace

Runner setup_lint(CLI::App& sub, Context& ctx) {
  auto no_engine = std::make_shared<bool>(false);
  sub.add_flag("--no-engine", *no_engine, "Do not ask the engine for the images' default users");
  return [&ctx, no_engine] {
    const profile::Profile& p = ctx.profile();
    std::map<std::string, std::string> users;
    if (!*no_engine) {
      try {
        users = image_users(ctx.client(), p);
      } catch (const docker::EngineError&) {
        // No engine to ask: the profile alone is linted.
      }
    }
    auto findings = profile::lint(p, users);
    if (ctx.options.json) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& f : findings)
        out.push_back({{"file", f.loc.file}, {"line", f.loc.line}, {"col", f.loc.col}, {"rule", f.rule}, {"message", f.message}});
      std::cout << out.dump() << "\n";
    } else {
      for (const auto& f : findings) std::cout << f.to_string() << "\n";
      std::cerr << p.source << ": " << findings.size() << " finding" << (findings.size() == 1 ? "" : "s") << "\n";
    }
    return findings.empty() ? 0 : 1;
  };
}

}  // namespace biodev::cli
