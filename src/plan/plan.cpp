#include "plan/plan.h"

#include <algorithm>

namespace biodev::plan {

const char* to_string(OpKind k) {
  switch (k) {
    case OpKind::kCreateNetwork: return "create-network";
    case OpKind::kCreateVolume: return "create-volume";
    case OpKind::kStopContainer: return "stop";
    case OpKind::kRemoveContainer: return "remove";
    case OpKind::kCreateContainer: return "create";
    case OpKind::kConnectNetwork: return "connect";
    case OpKind::kStartContainer: return "start";
    case OpKind::kAwaitReady: return "await-ready";
    case OpKind::kAwaitCompleted: return "await-completed";
    case OpKind::kSeed: return "seed";
    case OpKind::kRemoveNetwork: return "remove-network";
    case OpKind::kRemoveVolume: return "remove-volume";
    case OpKind::kRemoveDataDir: return "remove-data";
  }
  return "?";
}

int Plan::add(OpKind kind, std::string subject, std::string target, std::string reason,
              std::vector<int> deps) {
  int id = static_cast<int>(ops.size()) + 1;
  std::sort(deps.begin(), deps.end());
  deps.erase(std::unique(deps.begin(), deps.end()), deps.end());
  deps.erase(std::remove(deps.begin(), deps.end(), 0), deps.end());
  ops.push_back({id, kind, std::move(subject), std::move(target), std::move(reason), std::move(deps)});
  return id;
}

bool Plan::changes_nothing() const {
  return std::all_of(ops.begin(), ops.end(), [](const Op& op) {
    return op.kind == OpKind::kAwaitReady || op.kind == OpKind::kSeed ||
           op.kind == OpKind::kAwaitCompleted;
  });
}

std::string Plan::to_string() const {
  std::string out;
  for (const auto& op : ops) {
    out += std::to_string(op.id) + " " + plan::to_string(op.kind) + " " + op.subject;
    if (!op.reason.empty()) out += " (" + op.reason + ")";
    if (!op.deps.empty()) {
      out += " after ";
      for (size_t i = 0; i < op.deps.size(); ++i) out += (i ? "," : "") + std::to_string(op.deps[i]);
    }
    out += "\n";
  }
  return out;
}

std::vector<int> Plan::dependents(int id) const {
  std::vector<int> out;
  for (const auto& op : ops)
    if (std::find(op.deps.begin(), op.deps.end(), id) != op.deps.end()) out.push_back(op.id);
  return out;
}

}  // namespace biodev::plan
