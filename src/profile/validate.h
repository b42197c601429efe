// Whole-profile checks that need every service at once: references to services,
// networks and volumes; dependency cycles; host ports claimed twice; seed folders;
// export placeholders. Reports every problem found, then throws ProfileError.
#pragma once

#include "profile/model.h"

namespace biodev::profile {

void validate(const Profile& profile);

// An export placeholder "{{service:port}}", "{{service:port.host}}" or
// "{{service:port.port}}" found in an export template.
struct Placeholder {
  size_t begin = 0, end = 0;  // byte range in the template, braces included
  std::string service;
  int port = 0;
  std::string part;  // "", "host" or "port"
};
// Throws nothing; malformed placeholders are returned with port 0.
std::vector<Placeholder> find_placeholders(const std::string& tmpl);

}  // namespace biodev::profile
