// `.dockerignore` as the Docker CLI reads it (moby/patternmatcher): one pattern a line,
// `#` comments, `!` exceptions, `*` and `?` within one path segment, `**` across any
// number of segments, `[...]` classes, `\` escapes. A pattern excludes a path when it
// matches the path or one of its parent folders; the last matching pattern wins. Pure.
#pragma once

#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace biodev::images {

class DockerIgnore {
 public:
  DockerIgnore() = default;
  // The file's text; patterns are cleaned as the CLI cleans them ("./a/" -> "a").
  // Throws std::invalid_argument("line N: bad pattern ...") for a pattern that does not compile.
  static DockerIgnore parse(std::string_view text);

  // `path` is relative to the context, '/'-separated ("src/app.py").
  bool excluded(std::string_view path) const;
  // True when some `!` pattern could bring back files inside an excluded folder, so the
  // folder must still be walked.
  bool has_exceptions() const { return has_exceptions_; }
  bool empty() const { return patterns_.empty(); }

 private:
  struct Pattern {
    std::string text;
    std::regex re;
    bool exception = false;
  };
  std::vector<Pattern> patterns_;
  bool has_exceptions_ = false;
};

}  // namespace biodev::images
