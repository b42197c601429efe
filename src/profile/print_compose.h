// The resolved Profile as a Compose file, for `biodev config --format compose`: the
// normalized model, as `docker compose config` prints it (long syntax for ports and
// volumes, environment as a mapping, absolute paths), whichever reader produced the
// profile, so that docker compose can run what biodev runs. biodev's own powers go
// under `x-biodev`; secret values print as ********.
#pragma once

#include <nlohmann/json.hpp>

#include "profile/model.h"
#include "util/redact.h"

namespace biodev::profile {

nlohmann::ordered_json to_compose_json(const Profile& p, const Redactor& redact);

}  // namespace biodev::profile
