// docker cp's rules for where a copy lands, as a pure function (the same for both
// directions: the caller stats the paths on the host or in the container).
//
//   SRC a file:   DEST missing -> written as DEST; missing and ending in '/' -> error
//                 (the folder must exist); an existing file -> overwritten; an existing
//                 folder -> DEST/basename(SRC).
//   SRC a folder: DEST missing -> made as DEST with SRC's content; an existing file ->
//                 error; an existing folder -> DEST/basename(SRC), or with SRC ending in
//                 "/." SRC's content straight into DEST.
//   DEST's parent folder must exist.
#pragma once

#include <optional>
#include <string>

namespace biodev::cli {

// What is at a path: nullopt = nothing.
struct PathKind {
  bool is_dir = false;
};

struct CopyTarget {
  std::string dir;       // the existing folder the archive is unpacked into
  std::string top_name;  // what SRC is called there ("." = its content, no folder of its own)
};

// A path's parent and last name, trailing slashes ignored: "/a/b/" -> "/a", "b";
// "b" -> ".", "b"; "/b" -> "/", "b".
std::string parent_path(const std::string& path);
std::string base_name(const std::string& path);
bool ends_with_slash(const std::string& path);
bool copies_content(const std::string& src);  // ends with "/."

// `src_label`/`dst_label` name the paths in errors ("postgres:/etc/x", "./out").
// Throws Error (exit 1) for the error cases above; `dst_parent` is only read when
// `dst` is missing.
CopyTarget copy_target(const std::string& src, bool src_is_dir, const std::string& dst,
                       std::optional<PathKind> dst_kind, std::optional<PathKind> dst_parent,
                       const std::string& src_label, const std::string& dst_label);

}  // namespace biodev::cli
