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
#include "profile/node.h"

namespace biodev::profile {

// The built-in substitute for `upstream`, if any ("biodev/postgres:15" for
// "postgres:16-alpine"); user rules first. Names are compared as the engine does:
// "docker.io/library/postgres:16@sha256:..." is postgres:16.
std::optional<std::string> substitute_image(const std::string& upstream,
                                            const std::vector<SubstituteRule>& user_rules);

// Gives `s` an offline variant running the substitute of s.image, adapted to the
// upstream image's contract (sets s.offline and s.offline->substitute_for). Leaves `s`
// unchanged when no substitute applies or when it already has an offline variant (or
// builds its image, or names a biodev/ image). Rules: `user_rules`, then those of the
// BIODEV_SUBSTITUTES file (relative to `project_dir`), then the built-in ones. What the
// substitute cannot honour (a MinIO console port, Qdrant's gRPC port, variables it
// ignores, a healthcheck program it lacks) is added to `warnings` as
// "file:line:col: service S: ...". Throws ProfileError for a bad BIODEV_SUBSTITUTES file.
void apply_offline_substitute(Service& s, const std::vector<SubstituteRule>& user_rules,
                              const std::string& project_dir,
                              std::vector<std::string>* warnings = nullptr);

// Rules from a mapping node ({"IMAGE": "local/image:tag", ...}): x-biodev.substitutes.
std::vector<SubstituteRule> read_substitute_rules(const Node& map, Diagnostics& d);

// Rules of the file BIODEV_SUBSTITUTES names (a path relative to `project_dir`), either
// the mapping itself or {substitutes: mapping}; none when the variable is unset.
// Throws ProfileError naming file:line:col.
std::vector<SubstituteRule> substitute_rules_from_env(const std::string& project_dir);

// The one line `up -v` says about how biodev decides `effective` (the service as it
// runs: its offline variant when that was chosen) is ready, e.g. "ready by biodev's
// probe of http :9000/minio/health/live (healthcheck curl not in the substitute;
// Docker's healthcheck replaced by one it can run)".
std::string readiness_summary(const Service& base, const Service& effective);

// "postgres:16 -> biodev/postgres:15 (offline substitute)"; "" when `s` is no substitute.
std::string substitution_text(const Service& s);
// The same from the two names (a container's labels); `image` alone when `upstream` is "".
std::string substitution_text(const std::string& upstream, const std::string& image);

}  // namespace biodev::profile
