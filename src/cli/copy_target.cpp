#include "cli/copy_target.h"

#include "util/error.h"

namespace biodev::cli {
namespace {

std::string trimmed(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  // "dir/." names dir itself here; copies_content() keeps the difference.
  while (p.size() > 2 && p.compare(p.size() - 2, 2, "/.") == 0) {
    p.resize(p.size() - 2);
    while (p.size() > 1 && p.back() == '/') p.pop_back();
  }
  return p;
}

[[noreturn]] void fail(const std::string& message) { throw Error(ExitCode::kFailed, message); }

}  // namespace

std::string parent_path(const std::string& path) {
  std::string p = trimmed(path);
  size_t slash = p.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return p.substr(0, slash);
}

std::string base_name(const std::string& path) {
  std::string p = trimmed(path);
  size_t slash = p.find_last_of('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

bool ends_with_slash(const std::string& path) { return !path.empty() && path.back() == '/'; }

bool copies_content(const std::string& src) {
  return src == "." || (src.size() >= 2 && src.compare(src.size() - 2, 2, "/.") == 0);
}

CopyTarget copy_target(const std::string& src, bool src_is_dir, const std::string& dst,
                       std::optional<PathKind> dst_kind, std::optional<PathKind> dst_parent,
                       const std::string& src_label, const std::string& dst_label) {
  if (!src_is_dir && (ends_with_slash(src) || copies_content(src)))
    fail(src_label + " is not a folder (it ends with \"/\")");
  if (dst_kind) {
    if (dst_kind->is_dir) {
      return {dst, src_is_dir && copies_content(src) ? "." : base_name(src)};
    }
    if (src_is_dir) fail("cannot copy the folder " + src_label + " over the file " + dst_label);
    if (ends_with_slash(dst)) fail(dst_label + " is a file, not a folder");
    return {parent_path(dst), base_name(dst)};
  }
  if (!src_is_dir && ends_with_slash(dst))
    fail("the folder " + dst_label + " does not exist (to copy the file " + src_label +
         " into it, make it first; without the trailing \"/\" the file is written as it)");
  // "postgres:/a/b" -> "postgres:/a": the label's prefix with the parent's path.
  bool labelled = dst_label.size() >= dst.size() &&
                  dst_label.compare(dst_label.size() - dst.size(), dst.size(), dst) == 0;
  std::string parent =
      (labelled ? dst_label.substr(0, dst_label.size() - dst.size()) : "") + parent_path(dst);
  if (!dst_parent)
    fail("the folder " + parent + " (where " + dst_label + " would go) does not exist");
  if (!dst_parent->is_dir) fail(parent + " (where " + dst_label + " would go) is not a folder");
  return {parent_path(dst), base_name(dst)};
}

}  // namespace biodev::cli
