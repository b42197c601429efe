// `biodev serve NAME`: the servers biodev runs inside its own runtime image.
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "serve/gateway.h"
#include "serve/inference.h"
#include "serve/leases.h"
#include "serve/qdrant_standin.h"
#include "serve/reaper.h"
#include "serve/sandbox_hold.h"

namespace biodev::cli {

Runner setup_serve(CLI::App& sub, Context& ctx) {
  (void)ctx;
  sub.require_subcommand(1);
  auto port = std::make_shared<int>(0);
  auto inference = sub.add_subcommand("inference", "Mock CPU inference: /v1/embeddings, /v1/predict, /metrics (:8000)");
  auto gateway = sub.add_subcommand("gateway", "Health gateway: /api/v1/health, routes, /metrics (:8080)");
  auto qdrant = sub.add_subcommand("qdrant-standin", "Offline stand-in for Qdrant's REST API (:6333); not Qdrant");
  auto reaper = sub.add_subcommand("reaper", "Removes a project's objects when `biodev run` goes away (:8080)");
  auto leases = sub.add_subcommand("leases", "Leases: isolated, seeded slices of the stack per test (:8090)");
  auto sandbox = sub.add_subcommand("sandbox", "Holds a shared network sandbox for the services that join it");
  for (CLI::App* s : {inference, gateway, qdrant, reaper, leases}) s->add_option("--port", *port, "Port to listen on");
  return [&sub, inference, gateway, qdrant, reaper, leases, sandbox, port]() -> int {
    if (sandbox->parsed()) return serve::hold_sandbox();
    spdlog::set_level(spdlog::level::info);  // servers log their start and stop
    if (leases->parsed()) {
      auto c = serve::LeaseServerConfig::from_env();
      if (*port) c.port = *port;
      return serve::run_lease_server(c);
    }
    if (reaper->parsed()) {
      auto c = serve::ReaperConfig::from_env();
      if (*port) c.port = *port;
      return serve::run_reaper(c);
    }
    if (inference->parsed()) {
      auto c = serve::InferenceConfig::from_env();
      if (*port) c.port = *port;
      return serve::run_inference_server(c);
    }
    if (gateway->parsed()) {
      auto c = serve::GatewayConfig::from_env();
      if (*port) c.port = *port;
      return serve::run_gateway_server(c);
    }
    if (qdrant->parsed()) {
      auto c = serve::QdrantStandinConfig::from_env();
      if (*port) c.port = *port;
      return serve::run_qdrant_standin(c);
    }
    (void)sub;
    return 2;
  };
}

}  // namespace biodev::cli
