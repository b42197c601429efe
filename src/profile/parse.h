// Interprets a merged, interpolated Node tree as a Profile (schema: docs/profile.md).
// Cross-reference checks (unknown services, cycles, port clashes) are in validate.h.
#pragma once

#include <string>

#include "profile/errors.h"
#include "profile/interpolate.h"
#include "profile/model.h"
#include "profile/node.h"

namespace biodev::profile {

struct ParseContext {
  std::string project_dir;  // absolute; relative host paths resolve against it
  const Variables* vars = nullptr;
  std::map<std::string, std::string>* secrets = nullptr;  // values to redact, by name
  Diagnostics* diags = nullptr;
};

// Fills everything but name/source/project; reports problems into ctx.diags.
void parse_profile(const Node& root, const ParseContext& ctx, Profile& out);

// `build:` of a service, compose syntax (a context path, or a mapping with context,
// dockerfile, dockerfile_inline, args, target, labels, ...). Paths resolve against
// ctx.project_dir. Implemented in parse_build.cpp.
BuildSpec parse_build(const Node& n, const ParseContext& ctx, const std::string& service);
// `ulimits:` (NAME: N or NAME: {soft, hard}) and `extra_hosts:` (list of "host:ip" or
// "host=ip", or a mapping of host to one address or several), for services and builds.
std::vector<Ulimit> parse_ulimits(const Node& n, Diagnostics& d);
std::vector<std::string> parse_extra_hosts(const Node& n, Diagnostics& d);

// Keys shared by biodev profiles and compose files (parse_service.cpp, parse_probe.cpp).
class MapReader;
void parse_service_fields(MapReader& r, const ParseContext& ctx, Service& s);
// A host path: "~/" is $HOME, relative paths resolve against project_dir.
std::string resolve_path(const std::string& project_dir, const std::string& p);
bool is_data_path(const std::string& raw);  // under ./.data/: made and removed by biodev
std::vector<std::string> read_command(const Node& n, Diagnostics& d, const std::string& what);
void set_env(std::vector<std::pair<std::string, std::string>>& env, const std::string& k,
             const std::string& v);
// A mapping (KEY: value, null = from the process) or a list of KEY=value / KEY.
void parse_env(const Node& n, const ParseContext& ctx, Service& s);
// A path, a list of paths, or compose's long form {path, required}.
void parse_env_files(const Node& n, const ParseContext& ctx, Service& s);
std::vector<NetworkAttachment> parse_service_networks(const Node& n, Diagnostics& d);
ProbeSpec parse_ready(const Node& n, Diagnostics& d);
// `defaults` fills what the mapping leaves out (compose's defaults differ from biodev's).
Healthcheck parse_healthcheck(const Node& n, Diagnostics& d, const Healthcheck& defaults = {});
SeedSpec parse_seed(const Node& n, const ParseContext& ctx);
std::vector<Route> parse_routes(const Node& n, Diagnostics& d);

// Resource pools (general | memory | gpu) services refer to with `pool:`.
struct Pool {
  Resources resources;
  SourceLoc loc;
};
std::map<std::string, Pool> parse_pools(const Node& n, Diagnostics& d);
// Fills the resources the service leaves unset from its pool; unknown pools are errors.
void apply_pool(Service& s, const std::map<std::string, Pool>& pools, const SourceLoc& loc,
                Diagnostics& d);

// Splits "a 'b c' d" into words, shell style (quotes, backslashes). For string commands.
std::vector<std::string> split_command(const std::string& s);

}  // namespace biodev::profile
