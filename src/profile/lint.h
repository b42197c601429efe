// `biodev lint`: advice a valid profile may still deserve, each finding tied to the
// place in the file and to a rule name:
//   image-tag      an image without a tag, or tagged latest (not reproducible)
//   port-exposure  a port published beyond 127.0.0.1 (reachable from the network)
//   root-user      a service that runs as root while it could run as another user
//   no-limits      no cpu/memory limits (one runaway service starves the laptop)
//   no-ready       no readiness probe (dependents start blind; health cannot see it)
// Pure: the image's own default user comes in from the caller when known.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "profile/model.h"

namespace biodev::profile {

struct Finding {
  SourceLoc loc;
  std::string rule;
  std::string message;
  std::string to_string() const;  // "file:line:col: warning: message [rule]"
};

// `image_users`: image ref -> the image's configured user ("" = root or unknown);
// images not in the map are treated as unknown and not flagged for root-user unless
// the profile sets a root user explicitly.
std::vector<Finding> lint(const Profile& p, const std::map<std::string, std::string>& image_users = {});

}  // namespace biodev::profile
