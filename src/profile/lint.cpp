#include "profile/lint.h"

#include <algorithm>

namespace biodev::profile {
namespace {

bool is_root(const std::string& user) {
  return user == "0" || user == "root" || user.starts_with("0:") || user.starts_with("root:");
}

void lint_service(const Service& s, const std::string& variant,
                  const std::map<std::string, std::string>& image_users, std::vector<Finding>& out) {
  std::string who = "service " + s.name + (variant.empty() ? "" : " (" + variant + ")");
  std::string tail = s.image.substr(s.image.rfind('/') == std::string::npos ? 0 : s.image.rfind('/') + 1);
  bool digest = s.image.find('@') != std::string::npos;
  if (s.build) {
    // Built here from its Dockerfile: the tag names a local build, not a registry's image.
  } else if (!digest && tail.find(':') == std::string::npos)
    out.push_back({s.loc, "image-tag", who + ": image " + s.image + " has no tag; pin one"});
  else if (!digest && tail.ends_with(":latest"))
    out.push_back({s.loc, "image-tag", who + ": image " + s.image + " uses latest; pin a version"});
  for (const auto& p : s.ports)
    if (p.host_ip != "127.0.0.1" && p.host_ip != "::1" && p.host_ip != "localhost")
      out.push_back({p.loc, "port-exposure",
                     who + ": port " + std::to_string(p.container_port) + " is published on " +
                         (p.host_ip.empty() ? "every interface" : p.host_ip) + "; bind 127.0.0.1 unless others must reach it"});
  auto img = image_users.find(s.image);
  bool image_root = img != image_users.end() && (img->second.empty() || is_root(img->second));
  if ((s.user.empty() && image_root) || is_root(s.user))
    out.push_back({s.loc, "root-user", who + ": runs as root; set user: (e.g. \"${BIODEV_UID}:${BIODEV_GID}\")"});
  if (s.resources.cpus == 0 && s.resources.memory_bytes == 0)
    out.push_back({s.loc, "no-limits", who + ": no cpu or memory limits; set resources: or pool:"});
  if (s.ready.kind == ProbeSpec::Kind::kNone)
    out.push_back({s.loc, "no-ready", who + ": no ready: probe; dependents cannot wait for it and health cannot see it"});
}

}  // namespace

std::string Finding::to_string() const {
  std::string where = loc.to_string();
  return (where.empty() ? "" : where + ": ") + "warning: " + message + " [" + rule + "]";
}

std::vector<Finding> lint(const Profile& p, const std::map<std::string, std::string>& image_users) {
  std::vector<Finding> out;
  for (const auto& s : p.services) {
    lint_service(s, "", image_users, out);
    if (!s.offline) continue;
    // Only what the offline variant changes is worth a second finding.
    std::vector<Finding> base, off;
    lint_service(s, "", image_users, base);
    lint_service(*s.offline, "offline", image_users, off);
    for (auto& f : off) {
      bool same = std::any_of(base.begin(), base.end(), [&](const Finding& b) {
        return b.rule == f.rule && b.rule != "image-tag" && b.rule != "root-user";
      });
      if (!same) out.push_back(f);
    }
  }
  return out;
}

}  // namespace biodev::profile
