// Wires the seeders and the gateway spec into `up`: the seeders (src/seed) and the
// gateway's spec (src/serve) reach the planner only as the request's callbacks.
#include "stack/up.h"
#include "seed/seed.h"
#include "serve/gateway_spec.h"

namespace biodev::stack {

void configure_up_request(const Stack& stack, UpRequest& req, bool reseed) {
  req.gateway_spec = [](const profile::Profile& p) {
    std::string gateway;
    for (const auto& s : p.services)
      if (s.gateway) gateway = s.name;
    return serve::gateway_spec_to_string(serve::gateway_spec_from_profile(p, gateway));
  };
  req.seeder = [client = &stack.client, reporter = &stack.reporter, reseed](const plan::SeedRequest& r) {
    seed::SeedContext sc;
    sc.service = r.service;
    sc.host = r.host;
    sc.published = r.published;
    sc.container_id = r.container_id;
    sc.client = client;
    sc.reseed = reseed;
    sc.reporter = reporter;
    seed::run_seed(sc);
  };
}

}  // namespace biodev::stack
