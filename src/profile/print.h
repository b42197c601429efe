// The resolved profile as data, for `biodev config` (YAML or --json). Secret values are
// replaced by the redactor; nothing else is hidden.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "profile/model.h"
#include "util/redact.h"

namespace biodev::profile {

nlohmann::ordered_json to_json(const Profile& p, const Redactor& redact);
nlohmann::ordered_json service_to_json(const Service& s, const Redactor& redact);
std::string json_to_yaml(const nlohmann::ordered_json& j);

}  // namespace biodev::profile
