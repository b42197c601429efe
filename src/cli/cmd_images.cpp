// `biodev images build|list`: biodev's own images (offline recipes and the runtime).
#include <iostream>

#include "cli/commands.h"
#include "cli/table.h"
#include "images/builder.h"
#include "images/recipe.h"
#include "util/parallel.h"
#include "util/strings.h"

namespace biodev::cli {

namespace {

// The recipes NAMES chooses (every recipe when empty); `runtime` tells whether
// biodev/runtime is among them.
std::vector<images::Recipe> chosen_recipes(const std::vector<std::string>& names, bool& runtime) {
  if (names.empty()) {
    runtime = true;
    return images::load_recipes();
  }
  std::vector<images::Recipe> recipes;
  runtime = false;
  for (const auto& n : names) {
    if (n == "runtime")
      runtime = true;
    else
      recipes.push_back(images::load_recipe(n));
  }
  return recipes;
}

int list_images(Context& ctx, const std::vector<images::Recipe>& recipes) {
  docker::Client& client = ctx.client();
  Table t({"IMAGE", "STATE", "SIZE"});
  nlohmann::json out = nlohmann::json::array();
  auto row = [&](const std::string& ref, const std::string& hash) {
    auto info = client.inspect_image(ref);
    std::string state = !info                                        ? "missing"
                        : hash.empty()                               ? "present"
                        : info->labels[images::kRecipeLabel] == hash ? "current"
                                                                     : "stale";
    t.add({ref, state, info ? std::to_string(info->size / (1 << 20)) + " MiB" : ""});
    out.push_back({{"image", ref}, {"state", state}, {"size", info ? info->size : 0}});
  };
  for (const auto& r : recipes) row(r.image, r.hash);
  row(images::runtime_image_tag(), "");
  std::cout << (ctx.options.json ? out.dump() + "\n" : t.render());
  return 0;
}

// Builds one image with its progress on the reporter; failures are collected, not thrown.
class ImageBuilds {
 public:
  explicit ImageBuilds(Context& ctx) : ctx_(ctx) {}

  void run(const std::string& subject,
           const std::function<images::BuildResult(const images::BuildProgress&)>& fn) {
    auto t0 = std::chrono::steady_clock::now();
    try {
      ctx_.reporter().event({subject, "building"});
      images::BuildResult r = fn([this, subject](std::string_view phase, std::string_view line) {
        ctx_.reporter().event({subject, std::string(phase), trim(line).substr(0, 100)});
      });
      ctx_.reporter().event(
          {subject, "built",
           r.cached ? "current, nothing to do" : std::to_string(r.size / (1 << 20)) + " MiB",
           std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()});
    } catch (const std::exception& e) {
      ctx_.reporter().event({subject, "failed", first_line(e.what()), -1, 0, 0, true});
      std::lock_guard l(mu_);
      errors_.push_back(subject + ": " + e.what());
    }
  }

  int finish() {
    ctx_.reporter().finish();
    for (const auto& e : errors_) ctx_.reporter().message(ui::Level::kError, e);
    return errors_.empty() ? 0 : 1;
  }

 private:
  Context& ctx_;
  std::mutex mu_;
  std::vector<std::string> errors_;
};

int build_images(Context& ctx, const std::vector<images::Recipe>& recipes, bool runtime,
                 bool force) {
  docker::Client& client = ctx.client();
  images::BuildOptions bo;
  bo.force = force;
  bo.cancel = &Context::cancelled();
  ImageBuilds builds(ctx);
  // mmdebstrap is mostly download and dpkg: two at once keeps two cores busy.
  parallel_for(
      recipes.size(),
      [&](size_t i) {
        builds.run(recipes[i].image, [&](const images::BuildProgress& progress) {
          return images::build_offline_image(client, recipes[i], bo, progress);
        });
      },
      2);
  if (runtime)
    builds.run(images::runtime_image_tag(), [&](const images::BuildProgress& progress) {
      return images::build_runtime_image(client, bo, progress);
    });
  return builds.finish();
}

}  // namespace

Runner setup_images(CLI::App& sub, Context& ctx) {
  sub.require_subcommand(1);
  auto build = sub.add_subcommand(
      "build", "Build the offline images (Debian packages) and biodev/runtime; cached");
  auto list = sub.add_subcommand("list", "List biodev's images and whether each is current");
  auto names = std::make_shared<std::vector<std::string>>();
  auto force = std::make_shared<bool>(false);
  build->add_option("names", *names,
                    "Recipes to build: postgres, redis, s3rver, python, runtime (default: all)");
  build->add_flag("--force", *force, "Rebuild even when the image is current");
  return [&ctx, list, names, force] {
    bool runtime = false;
    std::vector<images::Recipe> recipes = chosen_recipes(*names, runtime);
    if (list->parsed()) return list_images(ctx, recipes);
    return build_images(ctx, recipes, runtime, *force);
  };
}

}  // namespace biodev::cli
