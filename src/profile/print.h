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

// Pieces shared with print_compose.cpp: "1m", "5s", "250ms"; "512m", "1g"; a ready
// probe and a seed as the profile writes them.
std::string ms_string(long long ms);
std::string bytes_string(long long bytes);
nlohmann::ordered_json probe_json(const ProbeSpec& p);
nlohmann::ordered_json seed_json(const SeedSpec& s, const Redactor& redact);

}  // namespace biodev::profile
