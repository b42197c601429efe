#include "cli/pick.h"

#include "util/error.h"
#include "util/strings.h"

namespace biodev::cli {

std::vector<const plan::ObservedContainer*> pick(const plan::ObservedState& obs,
                                                 const std::vector<std::string>& names,
                                                 const std::string& project, bool with_sandboxes) {
  std::vector<const plan::ObservedContainer*> out;
  // A shared sandbox is never picked: its members would lose their namespace. They
  // restart in it (`up` recreates a sandbox and its members together).
  if (names.empty()) {
    for (const auto& c : obs.containers)
      if (with_sandboxes || !c.is_sandbox()) out.push_back(&c);
    return out;
  }
  std::vector<std::string> known;
  for (const auto& c : obs.containers) known.push_back(c.service);
  for (const auto& n : names) {
    auto list = obs.for_service(n);
    if (!with_sandboxes)
      std::erase_if(list, [](const plan::ObservedContainer* c) { return c->is_sandbox(); });
    if (list.empty()) {
      std::string hint = closest_match(n, known);
      throw UsageError("no container for service \"" + n + "\" in project " + project +
                       (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)"));
    }
    out.insert(out.end(), list.begin(), list.end());
  }
  return out;
}

}  // namespace biodev::cli
