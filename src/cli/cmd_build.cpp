// `biodev build [SVC...]`: build the images of `build:` services (images/service_build.h).
#include <iostream>

#include "cli/commands.h"
#include "cli/table.h"
#include "cli/up.h"
#include "images/service_build.h"

namespace biodev::cli {

namespace {

std::vector<const profile::Service*> build_services(const profile::Profile& p, const std::vector<std::string>& names) {
  std::vector<const profile::Service*> out;
  with_dependencies(p, names);  // an unknown name is a usage error with "did you mean"
  for (const auto& n : names) {
    const profile::Service* s = p.find(n);
    if (!s->build) throw UsageError("service " + n + " has no build: (it runs image " + s->image + ")");
    out.push_back(s);
  }
  if (names.empty())
    for (const auto& s : p.services)
      if (s.build) out.push_back(&s);
  return out;
}

}  // namespace

Runner setup_build(CLI::App& sub, Context& ctx) {
  auto names = std::make_shared<std::vector<std::string>>();
  sub.add_option("services", *names, "Services to build (default: every service with build:)");
  return [&ctx, names] {
    const profile::Profile& p = ctx.profile();
    std::vector<const profile::Service*> todo = build_services(p, *names);
    if (todo.empty()) {
      ctx.reporter().message(ui::Level::kInfo, "no service of this profile has build:");
      return 0;
    }
    images::ServiceBuildOptions bo;
    bo.force = true;  // the engine's layer cache keeps an unchanged build quick
    bo.cancel = &Context::cancelled();
    bo.substitutes = p.substitutes;
    nlohmann::json out = nlohmann::json::array();
    Table t({"SERVICE", "IMAGE", "ID"});
    for (const auto* s : todo) {
      images::ServiceBuildResult r = images::ensure_built(ctx.client(), p.project, *s, bo, ctx.reporter());
      t.add({s->name, r.image, r.image_id.substr(0, 19)});
      out.push_back({{"service", s->name}, {"image", r.image}, {"id", r.image_id}});
    }
    ctx.reporter().finish();
    if (ctx.options.json)
      std::cout << nlohmann::json{{"type", "result"}, {"command", "build"}, {"images", out}}.dump() << std::endl;
    else
      std::cerr << "\n" << t.render();
    return 0;
  };
}

}  // namespace biodev::cli
