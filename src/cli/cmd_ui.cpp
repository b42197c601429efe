// `biodev ui`: the project's live dashboard in the browser (src/dashboard/).
#include <chrono>
#include <iostream>
#include <thread>

#include "cli/commands.h"
#include "dashboard/dashboard.h"
#include "serve/server.h"

namespace biodev::cli {

Runner setup_ui(CLI::App& sub, Context& ctx) {
  auto port = std::make_shared<int>(kDashboardPort);
  sub.add_option("--port", *port, "Port on 127.0.0.1 to serve the page on (0: any free port)")
      ->default_val(kDashboardPort)
      ->check(CLI::Range(0, 65535));
  return [&ctx, port]() -> int {
    const profile::Profile& p = ctx.profile();
    docker::Client& client = ctx.client();
    auto dash = std::make_shared<dashboard::Dashboard>(client, p);
    dash->start();  // the first snapshot: an engine that does not answer is exit 3 here

    serve::ServerOptions so;
    so.host = "127.0.0.1";
    so.port = *port;
    so.threads = 2;
    so.idle_timeout = std::chrono::hours(24);  // event streams stay open while the page is
    serve::Server server(so, [dash](const serve::Request& r) { return dash->handle(r); });
    try {
      server.start();
    } catch (const Error& e) {
      throw Error(ExitCode::kFailed,
                  std::string(e.what()) + " (another `biodev ui`? choose a port with --port N)");
    }
    dash->set_port(server.port());
    std::cout << "biodev ui: http://127.0.0.1:" << server.port() << "/  (project " << p.project
              << "; Ctrl-C to stop)" << std::endl;
    while (!Context::cancelled()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    server.stop();
    // Log followers wait on the engine with no deadline; nothing of theirs needs undoing.
    std::cout.flush();
    std::_Exit(Context::interrupted_exit_code());
  };
}

}  // namespace biodev::cli
