// `build:` (compose syntax), shared by the compose reader and biodev's own profiles.
#include "profile/parse.h"

namespace biodev::profile {

BuildSpec parse_build(const Node& n, const ParseContext&, const std::string&) {
  BuildSpec b;
  b.loc = n.loc;
  return b;
}

}  // namespace biodev::profile
