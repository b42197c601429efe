// The command table: one entry per verb. It drives the CLI parser, --help, shell
// completion, "did you mean" and docs/cli.md, so they cannot drift apart.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

#include "cli/context.h"
#include "util/error.h"

namespace biodev::cli {

// A verb's setup adds its options to `sub` and returns the function that runs it (after
// parsing), which returns the exit code.
using Runner = std::function<int()>;
using Setup = Runner (*)(CLI::App& sub, Context& ctx);

struct Command {
  const char* name;
  const char* summary;
  const char* examples;  // shown under --help and in docs/cli.md
  Setup setup;
  bool hidden = false;
};

const std::vector<Command>& commands();

// One declaration per verb file (src/cli/cmd_<verb>.cpp).
Runner setup_up(CLI::App&, Context&);
Runner setup_down(CLI::App&, Context&);
Runner setup_status(CLI::App&, Context&);
Runner setup_logs(CLI::App&, Context&);
Runner setup_config(CLI::App&, Context&);
Runner setup_validate(CLI::App&, Context&);
Runner setup_version(CLI::App&, Context&);
Runner setup_images(CLI::App&, Context&);
Runner setup_serve(CLI::App&, Context&);
Runner setup_probe(CLI::App&, Context&);
Runner setup_completion(CLI::App&, Context&);
Runner setup_docs(CLI::App&, Context&);
Runner setup_env(CLI::App&, Context&);
Runner setup_health(CLI::App&, Context&);
Runner setup_restart(CLI::App&, Context&);
Runner setup_seed(CLI::App&, Context&);
Runner setup_hook(CLI::App&, Context&);
Runner setup_exec(CLI::App&, Context&);
Runner setup_watch(CLI::App&, Context&);
Runner setup_graph(CLI::App&, Context&);
Runner setup_lint(CLI::App&, Context&);
Runner setup_run(CLI::App&, Context&);
Runner setup_ui(CLI::App&, Context&);
Runner setup_stop(CLI::App&, Context&);  // cmd_control.cpp: stop to top
Runner setup_start(CLI::App&, Context&);
Runner setup_pause(CLI::App&, Context&);
Runner setup_unpause(CLI::App&, Context&);
Runner setup_port(CLI::App&, Context&);
Runner setup_stats(CLI::App&, Context&);
Runner setup_top(CLI::App&, Context&);
Runner setup_lease(CLI::App&, Context&);
Runner setup_cp(CLI::App&, Context&);
Runner setup_snapshot(CLI::App&, Context&);

// Where `biodev ui` serves its page unless --port says otherwise: on 127.0.0.1, clear of
// the default stack's ports (5432, 6379, 9000, 6333, 8000, 8080).
inline constexpr int kDashboardPort = 7780;

}  // namespace biodev::cli
