#include "profile/node.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <set>
#include <sstream>

#include "profile/errors.h"

namespace biodev::profile {
namespace {

SourceLoc loc_of(const YAML::Mark& mark, const std::string& file) {
  // yaml-cpp marks are 0-based; editors and compilers count from 1.
  return SourceLoc{file, mark.line + 1, mark.column + 1};
}

void apply_merge_key(Node& target, const Node& source, std::set<std::string>& seen) {
  if (source.is_seq()) {
    for (const Node& item : source.items) apply_merge_key(target, item, seen);
    return;
  }
  if (!source.is_map()) throw ProfileError(source.loc, "<< (merge key) needs a mapping");
  for (size_t i = 0; i < source.entries.size(); ++i) {
    if (!seen.insert(source.entries[i].first).second) continue;
    target.entries.push_back(source.entries[i]);
    target.key_locs.push_back(source.key_locs[i]);
  }
}

// yaml-cpp 0.7 accepts a quoted scalar that is still open at the end of the text (when
// the text ends with a newline) and silently swallows the rest of the file into it.
// Scans the source from the opening quote for its closing one, with YAML's escapes
// ('' in single quotes, backslash in double quotes).
bool quote_closes(std::string_view text, size_t open) {
  char q = text[open];
  for (size_t i = open + 1; i < text.size(); ++i) {
    if (q == '"' && text[i] == '\\') {
      ++i;
    } else if (text[i] == q) {
      if (q == '\'' && i + 1 < text.size() && text[i + 1] == '\'')
        ++i;
      else
        return true;
    }
  }
  return false;
}

// Converts yaml-cpp's tree into Nodes. Aliases are expanded, so a self-referencing
// anchor (&a [*a]) would recurse forever and a few nested aliases can expand to
// billions of nodes: both are bounded here.
class Converter {
 public:
  Converter(std::string_view text, const std::string& file) : text_(text), file_(file) {}

  Node convert(const YAML::Node& y, int depth) {
    Node n;
    n.loc = loc_of(y.Mark(), file_);
    // yaml-cpp reports "?" for untagged plain nodes and "!" for quoted scalars.
    if (y.Tag().size() > 1 && y.Tag()[0] == '!') n.tag = y.Tag();
    if (depth > kMaxYamlDepth)
      throw ProfileError(n.loc, "YAML nested deeper than " + std::to_string(kMaxYamlDepth) +
                                    " levels (an alias that refers to itself?)");
    if (++nodes_ > kMaxYamlNodes)
      throw ProfileError(n.loc, "YAML expands to more than " + std::to_string(kMaxYamlNodes) +
                                    " values (aliases that repeat aliases?)");
    switch (y.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        n.kind = Node::Kind::kNull;
        break;
      case YAML::NodeType::Scalar:
        check_quote(y);
        n.kind = Node::Kind::kScalar;
        n.scalar = y.Scalar();
        // yaml-cpp tags plain scalars "?" and quoted ones "!".
        n.quoted = y.Tag() == "!";
        break;
      case YAML::NodeType::Sequence:
        n.kind = Node::Kind::kSequence;
        for (const auto& item : y) n.items.push_back(convert(item, depth + 1));
        break;
      case YAML::NodeType::Map: {
        n.kind = Node::Kind::kMapping;
        std::set<std::string> seen;
        std::vector<Node> merge_keys;
        for (const auto& kv : y) {
          SourceLoc key_loc = loc_of(kv.first.Mark(), file_);
          if (!kv.first.IsScalar()) throw ProfileError(key_loc, "mapping keys must be strings");
          check_quote(kv.first);
          std::string key = kv.first.Scalar();
          if (key == "<<") {  // YAML merge key: copy entries the mapping does not set itself
            merge_keys.push_back(convert(kv.second, depth + 1));
            continue;
          }
          if (!seen.insert(key).second)
            throw ProfileError(key_loc, "duplicate key \"" + key + "\"");
          n.entries.emplace_back(key, convert(kv.second, depth + 1));
          n.key_locs.push_back(key_loc);
        }
        for (const Node& m : merge_keys) apply_merge_key(n, m, seen);
        break;
      }
    }
    return n;
  }

 private:
  // Line and column rather than Mark::pos, which counts the characters yaml-cpp decoded
  // (a byte-order mark or an invalid UTF-8 byte shifts it). When the mark does not land
  // on a quote (a multi-byte character earlier on the line), the check is skipped.
  void check_quote(const YAML::Node& y) {
    if (y.Tag() != "!") return;  // plain scalar
    const YAML::Mark& mark = y.Mark();
    if (line_starts_.empty()) {
      line_starts_.push_back(0);
      for (size_t i = 0; i < text_.size(); ++i)
        if (text_[i] == '\n') line_starts_.push_back(i + 1);
    }
    if (mark.line < 0 || mark.column < 0 || static_cast<size_t>(mark.line) >= line_starts_.size())
      return;
    size_t pos = line_starts_[static_cast<size_t>(mark.line)] + static_cast<size_t>(mark.column);
    if (pos >= text_.size() || (text_[pos] != '"' && text_[pos] != '\'')) return;
    if (!checked_.insert(pos).second) return;  // an alias repeats its anchor's scalars
    if (!quote_closes(text_, pos))
      throw ProfileError(loc_of(mark, file_), std::string("YAML syntax error: unterminated ") +
                                                  (text_[pos] == '"' ? "double" : "single") +
                                                  "-quoted string");
  }

  std::string_view text_;
  const std::string& file_;
  std::vector<size_t> line_starts_;  // byte offset of each line, computed on first use
  std::set<size_t> checked_;         // offsets of quotes already found closed
  size_t nodes_ = 0;
};

// Records where each document starts and builds nothing.
class DocumentStarts : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> marks;
  void OnDocumentStart(const YAML::Mark& mark) override { marks.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// The number of documents in `text`: 0 or 1; throws ProfileError for more. Counted in a
// separate pass because yaml-cpp 0.7's LoadAll loops forever, allocating, on a document
// that starts with a token no node can start with (a stray ","): the parser reports an
// empty document without consuming the token, again and again. Such a document starts
// where the previous one did; this pass stops there and reports the token instead.
size_t count_documents(const std::string& text, const std::string& file) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStarts starts;
  std::vector<YAML::Mark>& marks = starts.marks;
  while (marks.size() < 3 && parser.HandleNextDocument(starts)) {
    size_t n = marks.size();
    if (n >= 2 && marks[n - 1].pos == marks[n - 2].pos) {
      const YAML::Mark& m = marks[n - 1];
      std::string token = "token";
      if (m.pos >= 0 && static_cast<size_t>(m.pos) < text.size())
        token = "\"" + std::string(1, text[static_cast<size_t>(m.pos)]) + "\"";
      throw ProfileError(loc_of(m, file), "YAML syntax error: unexpected " + token);
    }
  }
  if (marks.size() > 1)
    throw ProfileError(loc_of(marks[1], file),
                       "a profile is a single YAML document; found a second one");
  return marks.size();
}

}  // namespace

Node::~Node() = default;

const Node* Node::get(std::string_view key) const {
  for (const auto& [k, v] : entries)
    if (k == key) return &v;
  return nullptr;
}

const SourceLoc& Node::key_loc(std::string_view key) const {
  for (size_t i = 0; i < entries.size(); ++i)
    if (entries[i].first == key) return key_locs[i];
  return loc;
}

const char* Node::kind_name() const {
  switch (kind) {
    case Kind::kNull:
      return "null";
    case Kind::kScalar:
      return "a scalar";
    case Kind::kSequence:
      return "a list";
    case Kind::kMapping:
      return "a mapping";
  }
  return "?";
}

Node parse_yaml(std::string_view text, const std::string& file) {
  try {
    std::string source(text);
    if (count_documents(source, file) == 0) {
      Node empty;
      empty.loc = {file, 1, 1};
      return empty;
    }
    return Converter(text, file).convert(YAML::Load(source), 0);
  } catch (const YAML::ParserException& e) {
    throw ProfileError(loc_of(e.mark, file), "YAML syntax error: " + e.msg);
  } catch (const YAML::Exception& e) {
    throw ProfileError(loc_of(e.mark, file), "YAML error: " + e.msg);
  }
}

void merge_into(Node& base, const Node& over) {
  if (!base.is_map() || !over.is_map()) {
    base = over;
    return;
  }
  for (size_t i = 0; i < over.entries.size(); ++i) {
    // Not a structured binding: clang before 16 cannot capture those in lambdas.
    const std::string& key = over.entries[i].first;
    const Node& value = over.entries[i].second;
    auto it = std::find_if(base.entries.begin(), base.entries.end(),
                           [&](const auto& e) { return e.first == key; });
    if (value.is_null()) {
      if (it != base.entries.end()) {
        size_t idx = static_cast<size_t>(it - base.entries.begin());
        base.entries.erase(it);
        base.key_locs.erase(base.key_locs.begin() + static_cast<long>(idx));
      }
      continue;
    }
    if (it == base.entries.end()) {
      base.entries.emplace_back(key, value);
      base.key_locs.push_back(over.key_locs[i]);
    } else {
      merge_into(it->second, value);
    }
  }
}

}  // namespace biodev::profile
