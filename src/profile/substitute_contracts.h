// The upstream images biodev has built-in substitutes for, and how each substitute is
// made to honour its upstream image's contract (see substitutes.h). Pure: no I/O.
#pragma once

#include <string>
#include <vector>

#include "profile/model.h"

namespace biodev::profile {

enum class SubstituteFamily { kNone, kPostgres, kRedis, kRedisStack, kPython, kMinio, kQdrant };

// The family of an upstream repository, normalized ("postgres", "minio/minio",
// "quay.io/minio/minio"); kNone when biodev has no substitute for it.
SubstituteFamily family_of_repo(const std::string& repo);

// "biodev/postgres:15", "biodev/runtime:<version>", ...
std::string builtin_image(SubstituteFamily f);

// The family whose substitute `s` runs: kNone unless s.substitute_for is an upstream
// name of that family and s.image is its built-in substitute.
SubstituteFamily family_of_substitute(const Service& s);

// Adapts `off`, a copy of the upstream service now naming the substitute image, to the
// upstream image's contract: command line, variables, user, ports, healthcheck.
// `tag` is the upstream tag ("16-alpine"). Adds what cannot be honoured to `notes`.
void adapt_to_contract(Service& off, SubstituteFamily f, const std::string& tag,
                       std::vector<std::string>& notes);

// The healthcheck programs of `test` that the family's image lacks.
std::vector<std::string> missing_programs(SubstituteFamily f, const std::vector<std::string>& test);

}  // namespace biodev::profile
