#include "images/build_context.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "images/dockerignore.h"
#include "util/crypto.h"
#include "util/error.h"
#include "util/tar.h"

namespace biodev::images {

namespace fs = std::filesystem;

namespace {

// Name of an inline Dockerfile in the tar; unlikely to clash with a file of the context.
constexpr const char* kInlineDockerfile = ".biodev-inline.Dockerfile";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw Error(ExitCode::kFailed, "cannot read " + p.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

DockerIgnore read_ignore(const fs::path& root) {
  fs::path file = root / ".dockerignore";
  std::error_code ec;
  if (!fs::exists(file, ec)) return {};
  try {
    return DockerIgnore::parse(slurp(file));
  } catch (const std::invalid_argument& e) {
    throw Error(ExitCode::kUsage, file.string() + ": " + e.what());
  }
}

void walk(const fs::path& root, const DockerIgnore& ignore, const std::string& dockerfile,
          std::vector<ContextEntry>& out) {
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::none, ec), end;
  if (ec) throw Error(ExitCode::kFailed, "cannot read the build context " + root.string() + ": " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) throw Error(ExitCode::kFailed, "cannot read the build context " + root.string() + ": " + ec.message());
    std::string rel = it->path().lexically_relative(root).generic_string();
    struct stat st {};
    if (lstat(it->path().c_str(), &st) != 0) continue;  // gone while walking
    bool dir = S_ISDIR(st.st_mode);
    bool always = rel == dockerfile || rel == ".dockerignore";
    if (!always && ignore.excluded(rel)) {
      // Docker still walks an excluded folder when an exception may bring files back.
      if (dir && !ignore.has_exceptions()) it.disable_recursion_pending();
      continue;
    }
    if (rel == dockerfile) continue;  // added with its (possibly rewritten) text
    ContextEntry e{rel, ContextEntry::Type::kFile, static_cast<unsigned>(st.st_mode & 07777), {}};
    if (dir) {
      e.type = ContextEntry::Type::kDirectory;
    } else if (S_ISLNK(st.st_mode)) {
      e.type = ContextEntry::Type::kSymlink;
      e.link = fs::read_symlink(it->path(), ec).string();
    } else if (!S_ISREG(st.st_mode)) {
      continue;  // sockets, fifos: the docker CLI skips them too
    }
    out.push_back(std::move(e));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
}

}  // namespace

BuildContext read_context(const profile::BuildSpec& spec) {
  BuildContext c;
  c.root = spec.context;
  bool inline_file = !spec.dockerfile_inline.empty();
  c.dockerfile_name = inline_file ? kInlineDockerfile : spec.dockerfile;
  c.dockerfile_text = inline_file ? spec.dockerfile_inline : slurp(fs::path(spec.context) / spec.dockerfile);
  DockerIgnore ignore = read_ignore(spec.context);
  walk(spec.context, ignore, c.dockerfile_name, c.entries);
  // The engine drops these two from what COPY sees only when .dockerignore excludes them.
  // A Dockerfile outside the context (../Dockerfile) is none of its files.
  bool inside = !c.dockerfile_name.starts_with("../") && !c.dockerfile_name.starts_with('/');
  c.dockerfile_copied = !inline_file && inside && !ignore.excluded(c.dockerfile_name);
  c.dockerignore_copied = !ignore.excluded(".dockerignore");
  return c;
}

std::string build_hash(const profile::BuildSpec& spec, const BuildContext& context) {
  std::string h;
  auto field = [&h](std::string_view s) {
    h += std::to_string(s.size());
    h += ':';
    h += s;
  };
  field(context.dockerfile_name);
  field(sha256(context.dockerfile_text));
  for (const auto& [k, v] : spec.args) field(k + "=" + v);
  field("target=" + spec.target);
  for (const auto& [k, v] : spec.labels) field("label " + k + "=" + v);
  // What RUN steps saw can differ with these; no_cache changes how, not what.
  if (!spec.network.empty()) field("network=" + spec.network);
  for (const auto& h : spec.extra_hosts) field("host " + h);
  if (spec.shm_size) field("shm=" + std::to_string(spec.shm_size));
  for (const auto& u : spec.ulimits)
    field("ulimit " + u.name + "=" + std::to_string(u.soft) + ":" + std::to_string(u.hard));
  for (const auto& e : context.entries) {
    field(e.path);
    field(std::to_string(static_cast<int>(e.type)) + " " + std::to_string(e.mode));
    if (e.type == ContextEntry::Type::kSymlink) field(e.link);
    if (e.type != ContextEntry::Type::kFile) continue;
    std::string digest = sha256_file((fs::path(context.root) / e.path).string());
    if (digest.empty()) throw Error(ExitCode::kFailed, "cannot read " + context.root + "/" + e.path);
    field(digest);
  }
  return sha256_hex(h);
}

void write_context_tar(const BuildContext& context, const std::string& tar_path) {
  TarWriter tar(tar_path);
  for (const auto& e : context.entries) {
    switch (e.type) {
      case ContextEntry::Type::kDirectory: tar.add_directory(e.path, e.mode); break;
      case ContextEntry::Type::kSymlink: tar.add_symlink(e.path, e.link); break;
      case ContextEntry::Type::kFile:
        tar.add_file_from(e.path, (fs::path(context.root) / e.path).string(), static_cast<int>(e.mode));
        break;
    }
  }
  tar.add_file(context.dockerfile_name, context.dockerfile_text, 0644);
  tar.finish();
}

}  // namespace biodev::images
