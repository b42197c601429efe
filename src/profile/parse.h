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

// Splits "a 'b c' d" into words, shell style (quotes, backslashes). For string commands.
std::vector<std::string> split_command(const std::string& s);

}  // namespace biodev::profile
