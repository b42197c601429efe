// `biodev snapshot`: the running stack's data saved under a name and brought back.
// What each store's part is (and what it does not keep): docs/snapshots.md.
//
// A save writes into a hidden folder (.snapshots/.partial-NAME-<pid>) and a partial
// database, and only once every store's part is made are they renamed into place: a
// failed or killed save leaves no snapshot listed. Errors are biodev::Error: a bad name
// is a UsageError (2), a snapshot that is not there kNotFound (4), a name already taken
// (without `force`) and a store that fails kFailed (1).
#pragma once

#include <string>
#include <vector>

#include "serve/lease_config.h"
#include "snapshot/manifest.h"

namespace biodev::snapshot {

// The stores of a stack as this machine reaches them (published ports): the same
// detection as the lease service's (cli/leases.h), the other addresses.
using Stores = lease::LeaseConfig;

std::string snapshots_dir(const std::string& project_dir);  // <project_dir>/.snapshots

// Every complete snapshot (a folder with a manifest that reads), by name.
std::vector<Manifest> list(const std::string& project_dir);
// The snapshot's manifest; Error(kNotFound) naming the snapshots there are.
Manifest find(const std::string& project_dir, const std::string& name);

struct Outcome {
  Manifest manifest;
  std::vector<std::string> warnings;  // a store saved but not in the stack, a database kept
};

Outcome save(const Stores& stores, const std::string& project_dir, const std::string& project,
             const std::string& name, bool force);
// Every store of the snapshot the stack has, at once; a store the stack no longer has
// is a warning.
Outcome restore(const Stores& stores, const std::string& project_dir, const std::string& name);
// After a restore: drops the app database it set aside and makes the next ready copy.
void prepare(const Stores& stores, const std::string& name);
// Deletes the snapshot's folder and (when the stack's Postgres answers) its databases;
// `stores` may be null when the stack is not running.
Outcome remove(const Stores* stores, const std::string& project_dir, const std::string& name);

}  // namespace biodev::snapshot
