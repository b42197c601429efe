// Offline substitutes for upstream images named in a compose file: with no registry,
// `postgres:16` runs as biodev/postgres:15, `minio/minio` as the s3rver stand-in, and
// so on, each honouring the upstream image's documented contract (environment
// variables, command line, data paths). A team's own mirror adds entries through
// `x-biodev.substitutes` (or BIODEV_SUBSTITUTES, a YAML file of the same shape).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "profile/errors.h"
#include "profile/model.h"

namespace biodev::profile {

// A user entry: upstream repository (optionally with :tag or a trailing *) -> image.
struct SubstituteRule {
  std::string pattern;  // "postgres", "postgres:16*", "ghcr.io/acme/api:*"
  std::string image;    // "biodev/postgres:15", "registry.local/acme/api:1"
  SourceLoc loc;
};

// The built-in substitute for `upstream`, if any ("biodev/postgres:15" for
// "postgres:16-alpine"); user rules first.
std::optional<std::string> substitute_image(const std::string& upstream,
                                            const std::vector<SubstituteRule>& user_rules);

// Gives `s` an offline variant running the substitute of s.image, adapted to the
// upstream image's contract (sets s.offline and s.offline->substitute_for). Leaves `s`
// unchanged when no substitute applies or when it already has an offline variant.
void apply_offline_substitute(Service& s, const std::vector<SubstituteRule>& user_rules,
                              const std::string& project_dir);

}  // namespace biodev::profile
