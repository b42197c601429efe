// How compose combines files (`-f a -f b`, COMPOSE_FILE), `extends:` and `include:`,
// on Node trees so that every value keeps the file:line:col it came from.
//
// Rules (the Compose Specification's "merge" section):
// - mappings merge key by key; a scalar in the later file replaces the earlier one;
// - `command`, `entrypoint` and `healthcheck.test` are replaced whole;
// - `environment`, `labels`, `extra_hosts`, `sysctls`, `depends_on`, `networks`,
//   `ulimits` and `build.args` merge as mappings whichever form (list or mapping) each
//   file uses;
// - `volumes` and `devices` merge by container path, `secrets` and `configs` by source;
// - other sequences (ports, expose, cap_add, dns, ...) append, dropping repeats;
// - a value tagged `!reset` removes the key, one tagged `!override` replaces it whole.
#pragma once

#include <functional>
#include <string>

#include "profile/errors.h"
#include "profile/node.h"

namespace biodev::profile {

// Merges one compose file's top level over another's.
void merge_compose_files(Node& base, const Node& over);

// Merges a service definition over the one it extends (or the earlier file's).
void merge_compose_service(Node& base, const Node& over);

// Removes every key whose value is still tagged !reset (a file's own !reset means
// "not set"), recursively.
void drop_reset_values(Node& n);

// Makes the relative host paths of a service (build context, env_file, bind mount
// sources, extends.file) absolute against `dir`, the folder of the file that wrote
// them, before the service is merged into a file in another folder.
void absolutize_service_paths(Node& service, const std::string& dir);

// Replaces each service of `services` (a file's services: mapping, whose relative
// paths resolve against `dir`) by the service it extends with its own keys merged
// over, recursively; `extends.file` is read with `read_file` (absolute path, where it
// was named). A service that extends itself, directly or not, is an error.
using ComposeFileReader = std::function<Node(const std::string& path, const SourceLoc& where)>;
void resolve_extends(Node& services, const std::string& dir, const ComposeFileReader& read_file,
                     Diagnostics& d);

}  // namespace biodev::profile
