// Whole-profile checks that need every service at once: references to services,
// networks and volumes; dependency cycles; host ports claimed twice; seed folders;
// export placeholders. Reports every problem found, then throws ProfileError.
#pragma once

#include "profile/model.h"

namespace biodev::profile {

void validate(const Profile& profile);

// An export placeholder found in an export template:
//   {{service:port}}       host:port as published      {{service:port.host}}, {{service:port.port}}
//   {{service:env:NAME}}   the env var NAME of the variant that runs (credentials differ
//                          between an upstream image and its offline stand-in)
struct Placeholder {
  size_t begin = 0, end = 0;  // byte range in the template, braces included
  std::string service;
  int port = 0;      // 0 = malformed; -1 = an env placeholder
  std::string part;  // "", "host", "port" or "env"
  std::string env;   // part == "env": the variable
};
// Throws nothing; malformed placeholders are returned with port 0.
std::vector<Placeholder> find_placeholders(const std::string& tmpl);

}  // namespace biodev::profile
