#include "cli/app.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <malloc.h>

#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "docker/client.h"
#include "docker/errors.h"
#include "util/error.h"
#include "util/redact.h"
#include "util/strings.h"

namespace biodev::cli {
namespace {

// Global options that take a value, so the first verb-looking word can be found
// before CLI11 sees the line (for "did you mean").
bool takes_value(const std::string& arg) {
  return arg == "-p" || arg == "--project" || arg == "-f" || arg == "--profile" || arg == "--env-file" ||
         arg == "--project-directory" || arg == "--compose-profile" || arg == "--context";
}

std::string first_word(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") return {};
    if (takes_value(a)) {
      ++i;
      continue;
    }
    if (!a.starts_with("-")) return a;
  }
  return {};
}

int report_error(Context& ctx, const std::string& message, ExitCode code) {
  std::string text = global_redactor()(message);
  if (ctx.options.json) {
    nlohmann::json j = {{"type", "error"}, {"message", text}, {"exit_code", static_cast<int>(code)}};
    std::cout << j.dump() << std::endl;
  }
  bool color = ctx.reporter_options().color;
  std::cerr << (color ? "\033[31merror:\033[0m " : "error: ") << text << "\n";
  return static_cast<int>(code);
}

void add_global_options(CLI::App& app, Context& ctx) {
  app.add_option("-p,--project", ctx.options.project, "Project name (default: the folder name)")
      ->envname("BIODEV_PROJECT");
  app.add_option("-f,--profile", ctx.options.files,
                 "Profile name or path, or a compose file (repeat to merge compose files; default: "
                 "COMPOSE_FILE, a compose file in this folder or a parent, else the default profile)")
      ->envname("BIODEV_PROFILE");
  app.add_option("--compose-profile", ctx.options.compose_profiles,
                 "Activate a compose profile (repeatable; default: COMPOSE_PROFILES)");
  app.add_option("--env-file", ctx.options.env_files, "Read variables from this file (relative to the current folder) instead of the project's .env");
  app.add_option("--project-directory", ctx.options.project_directory,
                 "The project's folder: where the compose file is looked up, relative paths and .env "
                 "resolve, and the default project name comes from (default: the first compose file's folder)");
  app.add_option("--context", ctx.options.context,
                 "Docker context to use (default: DOCKER_HOST, then DOCKER_CONTEXT, then `docker context use`)");
  app.add_flag("--json", ctx.options.json, "Machine-readable output (JSON)");
  app.add_flag("-v,--verbose", ctx.options.verbose, "Say more (plans, engine calls)");
  app.add_flag("--no-color", ctx.options.no_color, "No colors (also NO_COLOR=1)");
}

// Runs the parsed subcommand; an error becomes its message on stderr and its exit code.
int dispatch(CLI::App& app, std::map<std::string, Runner>& runners, Context& ctx) {
  for (CLI::App* sub : app.get_subcommands()) {
    try {
      return runners[sub->get_name()]();
    } catch (const CLI::ParseError& e) {
      return report_error(ctx, e.what(), ExitCode::kUsage);
    } catch (const Error& e) {
      return report_error(ctx, e.what(), e.code());
    } catch (const std::exception& e) {
      return report_error(ctx, e.what(), ExitCode::kFailed);
    }
  }
  return static_cast<int>(ExitCode::kUsage);
}

}  // namespace

int run(int argc, char** argv) {
  Context::install_signal_handlers();
  Context ctx;
  CLI::App app{
      "biodev: a production-shaped development stack on one machine, through the Docker Engine API",
      "biodev"};
  app.require_subcommand(1);
  app.footer(
      "Run `biodev COMMAND --help` for a command's options and examples.\n"
      "Exit codes: 0 ok, 1 unhealthy or failed, 2 usage or profile error, 3 engine unreachable,\n"
      "4 no such thing (a snapshot), 130 interrupted (docs/cli.md#exit-codes).");
  add_global_options(app, ctx);

  std::map<std::string, Runner> runners;
  std::vector<std::string> names;
  for (const auto& cmd : commands()) {
    CLI::App* sub = app.add_subcommand(cmd.name, cmd.summary);
    sub->fallthrough();
    if (cmd.examples && *cmd.examples) sub->footer(std::string("Examples:\n") + cmd.examples);
    if (cmd.hidden) sub->group("");
    runners[cmd.name] = cmd.setup(*sub, ctx);
    if (!cmd.hidden) names.push_back(cmd.name);
  }

  std::string word = first_word(argc, argv);
  // A command runs up to 32 threads that mostly wait on the engine, and glibc would give
  // each its own malloc arena (up to 8 per core), each keeping pages of its own: one is
  // plenty. `serve` (the servers in the containers) keeps them all.
  if (word != "serve") mallopt(M_ARENA_MAX, 1);
  if (!word.empty() && !runners.count(word)) {
    std::string msg = "unknown command \"" + word + "\"";
    std::string hint = closest_match(word, names);
    if (!hint.empty()) msg += " (did you mean \"" + hint + "\"?)";
    return report_error(ctx, msg + "; run `biodev --help` for the list", ExitCode::kUsage);
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return report_error(ctx, e.what(), ExitCode::kUsage);
  }
  if (!ctx.options.files.empty()) ctx.options.profile = ctx.options.files.front();
  // spdlog only for --verbose: its logger and pattern formatter are built on first use
  // and cost a command about 0.2 MiB it has no use for otherwise.
  if (ctx.options.verbose) {
    spdlog::set_level(spdlog::level::debug);
    docker::set_debug_log(true);
  }
  return dispatch(app, runners, ctx);
}

}  // namespace biodev::cli
