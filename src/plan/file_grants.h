// Secrets and configs given to services (compose `secrets:` / `configs:`): each grant is
// a file biodev writes into a project-private folder and bind-mounts read-only into the
// container, at /run/secrets/<name> (secrets), /<name> (configs) or the grant's target.
//
// The folder is /tmp/biodev-grants-<euid>/<project>/{secrets,configs}/ (0700: the engine
// mounts the file itself, so the container never needs the folder). Files are owned by the
// grant's uid:gid, else the service's numeric user, else root; mode is the grant's, else
// 0400 for secrets and 0444 for configs. Where biodev cannot hand a secret to that user
// (not root, or a user given by name) it is made 0444 and a warning says so.
#pragma once

#include <string>
#include <vector>

#include "plan/desired.h"
#include "profile/model.h"
#include "util/progress.h"

namespace biodev::plan {

struct GrantFile {
  std::string host_path;  // where biodev writes it
  std::string target;     // absolute path in the container
  const profile::FileSource* source = nullptr;
  const profile::FileGrant* grant = nullptr;
};

// The folder of a project's grant files.
std::string grants_dir(const std::string& project);

// Pure: the files a service's grants become. Throws Error naming the grant when it
// refers to no top-level entry.
std::vector<GrantFile> grant_files(const profile::Profile& p, const profile::Service& s);

// Writes every selected service's grant files (only those whose bytes or owner changed).
// Throws Error naming the service and source when a file or variable cannot be read.
void materialize_grants(const profile::Profile& p, const DesiredOptions& o, progress::Reporter* reporter);

}  // namespace biodev::plan
