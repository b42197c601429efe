// `biodev images build|list`: biodev's own images (offline recipes and the runtime).
#include <iostream>
#include <thread>

#include "cli/commands.h"
#include "cli/table.h"
#include "images/builder.h"
#include "images/recipe.h"
#include "util/strings.h"

namespace biodev::cli {

Runner setup_images(CLI::App& sub, Context& ctx) {
  sub.require_subcommand(1);
  auto build = sub.add_subcommand("build", "Build the offline images (Debian packages) and biodev/runtime; cached");
  auto list = sub.add_subcommand("list", "List biodev's images and whether each is current");
  auto names = std::make_shared<std::vector<std::string>>();
  auto force = std::make_shared<bool>(false);
  build->add_option("names", *names, "Recipes to build: postgres, redis, s3rver, python, runtime (default: all)");
  build->add_flag("--force", *force, "Rebuild even when the image is current");
  return [&ctx, list, names, force] {
    docker::Client& client = ctx.client();
    std::vector<images::Recipe> recipes;
    bool runtime = names->empty();
    for (const auto& n : *names) {
      if (n == "runtime") runtime = true;
      else recipes.push_back(images::load_recipe(n));
    }
    if (names->empty()) recipes = images::load_recipes();
    if (list->parsed()) {
      Table t({"IMAGE", "STATE", "SIZE"});
      nlohmann::json out = nlohmann::json::array();
      auto row = [&](const std::string& ref, const std::string& hash) {
        auto info = client.inspect_image(ref);
        std::string state = !info ? "missing" : hash.empty() ? "present" : info->labels[images::kRecipeLabel] == hash ? "current" : "stale";
        t.add({ref, state, info ? std::to_string(info->size / (1 << 20)) + " MiB" : ""});
        out.push_back({{"image", ref}, {"state", state}, {"size", info ? info->size : 0}});
      };
      for (const auto& r : recipes) row(r.image, r.hash);
      row(images::runtime_image_tag(), "");
      std::cout << (ctx.options.json ? out.dump() + "\n" : t.render());
      return 0;
    }
    images::BuildOptions bo;
    bo.force = *force;
    bo.cancel = &Context::cancelled();
    std::vector<std::string> errors;
    std::mutex mu;
    auto run_one = [&](const std::string& subject, const std::function<images::BuildResult()>& fn) {
      auto t0 = std::chrono::steady_clock::now();
      try {
        ctx.reporter().event({subject, "building"});
        images::BuildResult r = fn();
        ctx.reporter().event({subject, "built", r.cached ? "current, nothing to do" : std::to_string(r.size / (1 << 20)) + " MiB",
                              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()});
      } catch (const std::exception& e) {
        ctx.reporter().event({subject, "failed", first_line(e.what()), -1, 0, 0, true});
        std::lock_guard l(mu);
        errors.push_back(subject + ": " + e.what());
      }
    };
    auto progress_for = [&](const std::string& subject) {
      return [&ctx, subject](std::string_view phase, std::string_view line) {
        ctx.reporter().event({subject, std::string(phase), trim(line).substr(0, 100)});
      };
    };
    // mmdebstrap is mostly download and dpkg: two at once keeps two cores busy.
    std::vector<std::thread> threads;
    size_t next = 0;
    for (int w = 0; w < 2; ++w)
      threads.emplace_back([&] {
        while (true) {
          size_t i;
          {
            std::lock_guard l(mu);
            if (next >= recipes.size()) return;
            i = next++;
          }
          const auto& r = recipes[i];
          run_one(r.image, [&] { return images::build_offline_image(client, r, bo, progress_for(r.image)); });
        }
      });
    for (auto& t : threads) t.join();
    if (runtime)
      run_one(images::runtime_image_tag(), [&] { return images::build_runtime_image(client, bo, progress_for(images::runtime_image_tag())); });
    ctx.reporter().finish();
    for (const auto& e : errors) ctx.reporter().message(ui::Level::kError, e);
    return errors.empty() ? 0 : 1;
  };
}

}  // namespace biodev::cli
