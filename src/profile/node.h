// A YAML document as a plain tree whose every node remembers its file, line and column,
// so that values merged from several files by `extends:` still report where they came
// from. yaml-cpp's own nodes know line/column but not the file.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "profile/model.h"

namespace biodev::profile {

struct Node {
  enum class Kind { kNull, kScalar, kSequence, kMapping };
  Kind kind = Kind::kNull;
  std::string scalar;       // kScalar (after interpolation)
  bool quoted = false;      // scalar was quoted in the source ("5432" stays a string)
  std::string tag;          // explicit YAML tag ("!reset", "!override"); "" when none
  std::vector<Node> items;  // kSequence
  std::vector<std::pair<std::string, Node>> entries;  // kMapping, in source order
  std::vector<SourceLoc> key_locs;                    // kMapping: location of each key
  SourceLoc loc;

  // Declared so the destructor is defined where Node is complete: clang (before 16)
  // with libstdc++'s constexpr std::vector otherwise rejects the recursive member types.
  Node() = default;
  Node(const Node&) = default;
  Node(Node&&) noexcept = default;
  Node& operator=(const Node&) = default;
  Node& operator=(Node&&) noexcept = default;
  ~Node();

  bool is_null() const { return kind == Kind::kNull; }
  bool is_scalar() const { return kind == Kind::kScalar; }
  bool is_seq() const { return kind == Kind::kSequence; }
  bool is_map() const { return kind == Kind::kMapping; }
  const Node* get(std::string_view key) const;  // mapping lookup; nullptr if absent
  const SourceLoc& key_loc(std::string_view key) const;
  const char* kind_name() const;  // "a string", "a list", "a mapping", "null"
};

// Parses YAML text; `file` names it in errors. Throws ProfileError on syntax errors,
// duplicate mapping keys, a quoted string left open at the end of the text, and
// documents nested deeper than kMaxYamlDepth or expanding (through aliases) to more
// than kMaxYamlNodes nodes.
inline constexpr int kMaxYamlDepth = 64;
inline constexpr size_t kMaxYamlNodes = 100000;
Node parse_yaml(std::string_view text, const std::string& file);

// Overlay semantics for extends: mappings merge key by key (recursively); any other
// value in `over` replaces the base value; an explicit null in `over` deletes the key.
void merge_into(Node& base, const Node& over);

}  // namespace biodev::profile
