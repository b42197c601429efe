#include "plan/file_grants.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "util/error.h"
#include "util/unique_fd.h"

namespace biodev::plan {

namespace fs = std::filesystem;
using profile::FileSource;

namespace {

const FileSource* find_source(const std::vector<FileSource>& defs, const std::string& name) {
  for (const auto& d : defs)
    if (d.name == name) return &d;
  return nullptr;
}

std::optional<int> number(const std::string& s) {
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::string read_bytes(const GrantFile& g, const std::string& service) {
  const FileSource& src = *g.source;
  if (src.kind != FileSource::Kind::kFile) return src.content;
  std::ifstream in(src.file, std::ios::binary);
  if (!in)
    throw Error(ExitCode::kUsage, src.loc.to_string() + ": service " + service + ": cannot read " +
                                      src.file + " for " + src.name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Owner and mode of a grant file, and whether a secret had to be made world-readable.
struct Access {
  int uid = 0, gid = 0;
  unsigned mode = 0444;
  bool widened = false;
};

Access access_for(const GrantFile& g, const profile::Service& s) {
  Access a;
  bool secret = g.source->secret;
  a.mode = g.grant->mode >= 0 ? static_cast<unsigned>(g.grant->mode) : (secret ? 0400 : 0444);
  std::string user = s.user.substr(0, s.user.find(':'));
  std::string group = s.user.find(':') == std::string::npos ? "" : s.user.substr(s.user.find(':') + 1);
  auto uid = number(g.grant->uid.empty() ? (user.empty() ? "0" : user) : g.grant->uid);
  auto gid = number(g.grant->gid.empty() ? (group.empty() ? (uid ? std::to_string(*uid) : "") : group)
                                         : g.grant->gid);
  bool can_chown = geteuid() == 0 || (uid && static_cast<uid_t>(*uid) == geteuid());
  if (!uid || !gid || !can_chown) {
    a.uid = static_cast<int>(geteuid());
    a.gid = static_cast<int>(getegid());
    a.widened = (a.mode & 0004) == 0;
    a.mode |= 0444;
    return a;
  }
  a.uid = *uid;
  a.gid = *gid;
  return a;
}

void write_if_changed(const std::string& path, const std::string& bytes, const Access& a) {
  struct stat st {};
  bool exists = stat(path.c_str(), &st) == 0;
  if (exists) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    if (ss.str() == bytes && (st.st_mode & 07777) == a.mode && static_cast<int>(st.st_uid) == a.uid &&
        static_cast<int>(st.st_gid) == a.gid)
      return;
  }
  // Written in place: a running container holds this inode through its bind mount.
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd) throw Error(ExitCode::kFailed, "cannot write " + path + ": " + std::strerror(errno));
  bool ok = ::write(fd.get(), bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size());
  ok = ok && fchown(fd.get(), static_cast<uid_t>(a.uid), static_cast<gid_t>(a.gid)) == 0;
  ok = ok && fchmod(fd.get(), a.mode) == 0;
  int err = errno;
  fd.reset();
  if (!ok) throw Error(ExitCode::kFailed, "cannot write " + path + ": " + std::strerror(err));
}

}  // namespace

std::string grants_dir(const std::string& project) {
  return "/tmp/biodev-grants-" + std::to_string(geteuid()) + "/" + project;
}

std::vector<GrantFile> grant_files(const profile::Profile& p, const profile::Service& s) {
  std::vector<GrantFile> out;
  auto add = [&](const std::vector<profile::FileGrant>& grants, const std::vector<FileSource>& defs,
                 const char* kind, const std::string& default_dir) {
    for (const auto& g : grants) {
      const FileSource* src = find_source(defs, g.source);
      if (!src)
        throw Error(ExitCode::kUsage, g.loc.to_string() + ": service " + s.name + " uses " + kind + " " +
                                          g.source + ", which the top-level " + kind + "s: do not define");
      std::string target = g.target.empty() ? default_dir + g.source
                           : g.target.starts_with('/') ? g.target
                                                       : default_dir + g.target;
      out.push_back({grants_dir(p.project) + "/" + kind + "s/" + s.name + "-" + g.source, target, src, &g});
    }
  };
  add(s.secrets, p.secrets_defs, "secret", "/run/secrets/");
  add(s.configs, p.configs_defs, "config", "/");
  return out;
}

void materialize_grants(const profile::Profile& p, const DesiredOptions& o, progress::Reporter* reporter) {
  for (const auto& base : p.services) {
    if (!o.services.empty() && !o.services.count(base.name)) continue;
    const profile::Service& s = effective_service(base, o);
    for (const auto& g : grant_files(p, s)) {
      std::error_code ec;
      fs::path dir = fs::path(g.host_path).parent_path();
      fs::create_directories(dir, ec);
      fs::permissions(dir.parent_path().parent_path(), fs::perms::owner_all, ec);
      fs::permissions(dir.parent_path(), fs::perms::owner_all, ec);
      fs::permissions(dir, fs::perms::owner_all, ec);
      Access a = access_for(g, s);
      write_if_changed(g.host_path, read_bytes(g, s.name), a);
      if (a.widened && reporter)
        reporter->message(progress::Level::kWarn, "service " + s.name + ": secret " + g.source->name +
                                                " is readable by every user in the container (biodev cannot "
                                                "hand it to user \"" + s.user + "\"; give uid/gid in the grant)");
    }
  }
}

}  // namespace biodev::plan
