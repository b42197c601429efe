#include "plan/stop_reason.h"

#include <fmt/format.h>
#include <sys/statvfs.h>

namespace biodev::plan {

std::string memory_size(long long bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  return v == static_cast<double>(static_cast<long long>(v)) ? fmt::format("{} {}", static_cast<long long>(v), units[u])
                                                              : fmt::format("{:.1f} {}", v, units[u]);
}

std::string stop_reason(const docker::ContainerInfo& info, const profile::Service* service) {
  std::string code = "exited with code " + std::to_string(info.exit_code);
  if (!info.oom_killed) return code;
  long long limit = info.memory_limit;
  std::string pool = service ? service->pool : "";
  // Without a limit the machine itself ran out of memory: nothing in the profile to raise.
  if (limit <= 0)
    return code + ": the kernel's OOM killer ended it (the machine ran out of memory; it has no memory limit)";
  std::string where = pool.empty() ? "its resources.memory in the profile"
                                   : "the memory of pool " + pool + " (or the service's resources.memory) in the profile";
  return "was killed by the kernel's OOM killer (out of memory) at its memory limit of " + memory_size(limit) +
         (pool.empty() ? "" : " (pool " + pool + ")") + ": it needs more; raise " + where;
}

std::string full_disk_hint(const profile::Service& service) {
  constexpr unsigned long long kFull = 16ull << 20;
  for (const auto& m : service.mounts) {
    if (m.type != profile::MountSpec::Type::kBind || !m.data) continue;
    struct statvfs st {};
    if (statvfs(m.source.c_str(), &st) != 0) continue;
    unsigned long long avail = static_cast<unsigned long long>(st.f_bavail) * st.f_frsize;
    if (avail >= kFull) continue;
    return "; the disk holding " + m.source + " is full (" + memory_size(static_cast<long long>(avail)) +
           " free): free space there, then `biodev up` again";
  }
  return "";
}

}  // namespace biodev::plan
