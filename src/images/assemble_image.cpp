// The engine half of images/assemble.h: one container of the base image with the final
// config (created, never started), the COPYs unpacked into it as one tar, one commit.
#include <fnmatch.h>

#include <algorithm>
#include <set>

#include "images/assemble.h"
#include "images/build_steps.h"
#include "util/error.h"
#include "util/strings.h"
#include "util/tar.h"

namespace biodev::images {

namespace {

constexpr uint32_t kGoModeDir = 1u << 31;  // Go's os.ModeDir in the path-stat header

bool has_glob(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

// "./src/", "/src" -> "src"; "." and "/" -> "" (the context itself).
std::string context_path(const std::string& source) { return clean_path(source).substr(1); }

std::string base_name(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// What COPY sees of the context: the walked entries, with the Dockerfile and
// .dockerignore as the engine shows them.
std::vector<ContextEntry> copy_view(const BuildContext& ctx) {
  std::vector<ContextEntry> out;
  for (const auto& e : ctx.entries)
    if (e.path != ".dockerignore" || ctx.dockerignore_copied) out.push_back(e);
  if (ctx.dockerfile_copied) out.push_back({ctx.dockerfile_name, ContextEntry::Type::kFile, 0644, {}});
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return out;
}

class Layer {
 public:
  Layer(docker::Client& client, std::string container, const BuildContext& ctx, const std::string& tar_path)
      : client_(client), container_(std::move(container)), ctx_(ctx), view_(copy_view(ctx)), tar_(tar_path) {}

  // A folder the image has (from the base, or made here).
  bool is_folder(const std::string& path) {
    if (made_.count(path)) return true;
    auto mode = client_.stat_path(container_, path);
    return mode && (*mode & kGoModeDir);
  }
  bool exists(const std::string& path) { return made_.count(path) || client_.stat_path(container_, path).has_value(); }

  void folder(const std::string& path) {
    if (path == "/" || made_.count(path)) return;
    if (!exists(path)) add_dir(path, 0755);
    made_.insert(path);
  }

  void copy(const CopyStep& c) {
    if (c.has_owner) {
      tar_.set_owner(c.uid, c.gid);
      copy_owner_ = true;
    } else {
      tar_.set_owner(0, 0);
    }
    std::vector<const ContextEntry*> matches;
    bool root = false;
    for (const auto& raw : c.sources) {
      std::string src = context_path(raw);
      size_t before = matches.size();
      if (src.empty()) {
        root = true;
        continue;
      }
      for (const auto& e : view_) {
        bool hit = has_glob(src) ? fnmatch(src.c_str(), e.path.c_str(), FNM_PATHNAME) == 0 : e.path == src;
        if (hit) matches.push_back(&e);
      }
      if (matches.size() == before && !has_glob(src))
        throw AssemblyError(c.line, "COPY failed: file not found in build context or excluded by .dockerignore: stat " +
                                        src + ": file does not exist");
    }
    if (matches.empty() && !root)
      throw AssemblyError(c.line, "COPY failed: no source files were specified");
    bool many = matches.size() + (root ? 1 : 0) > 1;
    bool trailing = c.dest.ends_with('/');
    std::string dest = trailing && c.dest.size() > 1 ? c.dest.substr(0, c.dest.size() - 1) : c.dest;
    if (many && !trailing)
      throw AssemblyError(c.line, "When using COPY with more than one source file, the destination must be a directory and end with a /");
    bool into_folder = trailing || many || root ||
                       std::any_of(matches.begin(), matches.end(),
                                   [](const ContextEntry* e) { return e->type == ContextEntry::Type::kDirectory; }) ||
                       is_folder(dest);
    if (!into_folder) {
      add(*matches.front(), dest);
      return;
    }
    folder(dest);
    if (root) add_tree("", dest);
    for (const ContextEntry* e : matches) {
      if (e->type == ContextEntry::Type::kDirectory)
        add_tree(e->path, dest);  // a folder's contents, not the folder itself
      else
        add(*e, join_path(dest, base_name(e->path)));
    }
  }

  bool copy_owner() const { return copy_owner_; }
  void finish() { tar_.finish(); }

 private:
  static std::string join_path(const std::string& dir, const std::string& name) {
    return dir == "/" ? "/" + name : dir + "/" + name;
  }
  static std::string member(const std::string& abs) { return abs.substr(1); }

  void add_dir(const std::string& path, unsigned mode) { tar_.add_directory(member(path) + "/", mode); }

  void add(const ContextEntry& e, const std::string& target) {
    switch (e.type) {
      case ContextEntry::Type::kDirectory: add_dir(target, e.mode); made_.insert(target); break;
      case ContextEntry::Type::kSymlink: tar_.add_symlink(member(target), e.link); break;
      case ContextEntry::Type::kFile:
        if (e.path == ctx_.dockerfile_name && ctx_.dockerfile_copied)
          tar_.add_file(member(target), ctx_.dockerfile_text, 0644);
        else
          tar_.add_file_from(member(target), ctx_.root + "/" + e.path, static_cast<int>(e.mode));
        break;
    }
  }

  // Everything under context folder `prefix` ("" = the whole context) into `dest`.
  void add_tree(const std::string& prefix, const std::string& dest) {
    std::string under = prefix.empty() ? "" : prefix + "/";
    for (const auto& e : view_)
      if (e.path.starts_with(under) && e.path.size() > under.size()) add(e, join_path(dest, e.path.substr(under.size())));
  }

  docker::Client& client_;
  std::string container_;
  const BuildContext& ctx_;
  std::vector<ContextEntry> view_;
  TarWriter tar_;
  std::set<std::string> made_;
  bool copy_owner_ = false;
};

}  // namespace

std::string assemble_image(docker::Client& client, const BuildContext& ctx, const Assembly& a,
                           const std::string& base_id, const std::string& tag,
                           const std::map<std::string, std::string>& labels, const std::string& temp_dir) {
  // The Cmd and Entrypoint the Dockerfile leaves reach the image as they are
  // (ImageConfig::commit_body).
  std::string id = client.create_container("", a.config.commit_body(base_id, labels));
  struct Remove {
    docker::Client& c;
    std::string id;
    ~Remove() {
      try {
        c.remove_container(id, true, true);
      } catch (const std::exception&) {
        // The engine went away: the created container is left, labelled with the project.
      }
    }
  } remove{client, id};

  detail::TempPath tar = detail::make_temp_file(temp_dir, "biodev-layer-", ".tar");
  Layer layer(client, id, ctx, tar.path());
  for (const auto& w : a.workdirs) layer.folder(w);
  for (const auto& c : a.copies) layer.copy(c);
  layer.finish();
  client.put_archive(id, "/", tar.path(), layer.copy_owner());
  return client.commit(id, tag, "biodev: assembled from the Dockerfile (no RUN)");
}

}  // namespace biodev::images
