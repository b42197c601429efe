#include "profile/interpolate.h"

#include <cctype>
#include <cstdlib>

namespace biodev::profile {

Variables::Variables(EnvLookup process_env) : process_env_(std::move(process_env)) {}

Variables Variables::from_process() {
  return Variables([](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  });
}

void Variables::set_dotenv(const std::string& name, const std::string& value) {
  dotenv_[name] = value;
}
void Variables::set_builtin(const std::string& name, const std::string& value) {
  builtins_[name] = value;
}

std::optional<std::string> Variables::get(const std::string& name) const {
  if (process_env_)
    if (auto v = process_env_(name)) return v;
  if (auto it = dotenv_.find(name); it != dotenv_.end()) return it->second;
  if (auto it = builtins_.find(name); it != builtins_.end()) return it->second;
  return std::nullopt;
}

bool Variables::from_dotenv(const std::string& name) const {
  if (process_env_ && process_env_(name)) return false;
  return dotenv_.count(name) > 0;
}

bool is_valid_var_name(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

namespace {

class Interpolator {
 public:
  Interpolator(const Variables& vars, const SourceLoc& loc, InterpolationResult& result)
      : vars_(vars), loc_(loc), result_(result) {}

  // Expands text[pos..]. Inside a ${NAME:-...} argument `open` is that opening
  // ("${NAME:-"), and expansion stops at (not past) the matching '}'.
  std::string expand(std::string_view text, size_t& pos, const std::string* open) {
    bool nested = open != nullptr;
    std::string out;
    while (pos < text.size()) {
      char c = text[pos];
      if (nested && c == '}') return out;
      if (c != '$') {
        out += c;
        ++pos;
        continue;
      }
      if (pos + 1 < text.size() && text[pos + 1] == '$') {
        out += '$';
        pos += 2;
      } else if (pos + 1 < text.size() && text[pos + 1] == '{') {
        pos += 2;
        out += braced(text, pos);
      } else {
        size_t start = ++pos;
        while (pos < text.size() &&
               (std::isalnum(static_cast<unsigned char>(text[pos])) || text[pos] == '_'))
          ++pos;
        if (pos == start) {
          out += '$';  // a lone '$' stays as written
          continue;
        }
        out += lookup(std::string(text.substr(start, pos - start)), true);
      }
    }
    if (nested) fail("unterminated " + *open + "... (missing })");
    return out;
  }

 private:
  std::string braced(std::string_view text, size_t& pos) {
    size_t start = pos;
    while (pos < text.size() && text[pos] != '}' && text[pos] != ':' && text[pos] != '-' &&
           text[pos] != '?' && text[pos] != '+')
      ++pos;
    std::string name(text.substr(start, pos - start));
    if (pos >= text.size()) fail("unterminated ${" + name + " (missing })");
    if (!is_valid_var_name(name)) fail("invalid variable name \"" + name + "\" in ${...}");
    result_.used.push_back(name);
    if (text[pos] == '}') {
      ++pos;
      return lookup(name, true);
    }
    bool colon = text[pos] == ':';
    if (colon) ++pos;
    if (pos >= text.size()) fail("unterminated ${" + name + ": (missing })");
    char op = text[pos++];
    if (op != '-' && op != '?' && op != '+')
      fail("unsupported modifier in ${" + name + (colon ? ":" : "") + op + "...}");
    std::string open = "${" + name + (colon ? ":" : "") + op;
    std::string arg = expand(text, pos, &open);
    ++pos;  // the closing '}'
    std::optional<std::string> value = vars_.get(name);
    bool missing = !value || (colon && value->empty());
    switch (op) {
      case '-':
        return missing ? arg : *value;
      case '+':
        return missing ? std::string() : arg;
      default:  // '?'
        if (missing) fail(name + ": " + (arg.empty() ? "required variable is not set" : arg));
        return *value;
    }
  }

  std::string lookup(const std::string& name, bool record_unset) {
    if (auto v = vars_.get(name)) return *v;
    if (record_unset) result_.unset.push_back(name);
    return {};
  }

  [[noreturn]] void fail(const std::string& message) { throw ProfileError(loc_, message); }

  const Variables& vars_;
  const SourceLoc& loc_;
  InterpolationResult& result_;
};

std::string unescape_double_quoted(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out += s[i];
      continue;
    }
    char n = s[++i];
    switch (n) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      default: out += n; break;  // \" \\ \$
    }
  }
  return out;
}

}  // namespace

InterpolationResult interpolate(std::string_view text, const Variables& vars,
                                const SourceLoc& loc) {
  InterpolationResult result;
  if (text.find('$') == std::string_view::npos) {
    result.value = std::string(text);
    return result;
  }
  Interpolator interp(vars, loc, result);
  size_t pos = 0;
  result.value = interp.expand(text, pos, nullptr);
  return result;
}

std::vector<std::pair<std::string, std::string>> parse_dotenv(std::string_view text,
                                                              const std::string& file,
                                                              const Variables& vars) {
  std::vector<std::pair<std::string, std::string>> out;
  Variables scope = vars;  // later lines may refer to earlier ones
  int line_no = 0;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    std::string_view line = text.substr(start, end == text.npos ? text.npos : end - start);
    start = end == text.npos ? text.size() + 1 : end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t i = 0;
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i == line.size() || line[i] == '#') continue;
    if (line.substr(i).starts_with("export ")) i += 7;
    while (i < line.size() && line[i] == ' ') ++i;
    size_t eq = line.find('=', i);
    SourceLoc loc{file, line_no, static_cast<int>(i) + 1};
    if (eq == line.npos) throw ProfileError(loc, "expected KEY=VALUE");
    std::string key(line.substr(i, eq - i));
    while (!key.empty() && key.back() == ' ') key.pop_back();
    if (!is_valid_var_name(key)) throw ProfileError(loc, "invalid variable name \"" + key + "\"");
    std::string_view raw = line.substr(eq + 1);
    while (!raw.empty() && raw.front() == ' ') raw.remove_prefix(1);
    SourceLoc value_loc{file, line_no, static_cast<int>(line.size() - raw.size()) + 1};
    std::string value;
    if (!raw.empty() && (raw.front() == '\'' || raw.front() == '"')) {
      char q = raw.front();
      size_t close = raw.find(q, 1);
      while (q == '"' && close != raw.npos && raw[close - 1] == '\\') close = raw.find(q, close + 1);
      if (close == raw.npos) throw ProfileError(value_loc, std::string("unterminated ") + q + " quote");
      std::string_view inner = raw.substr(1, close - 1);
      value = q == '\'' ? std::string(inner)
                        : interpolate(unescape_double_quoted(inner), scope, value_loc).value;
    } else {
      size_t hash = raw.find(" #");
      if (hash != raw.npos) raw = raw.substr(0, hash);
      while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\t')) raw.remove_suffix(1);
      value = interpolate(raw, scope, value_loc).value;
    }
    scope.set_dotenv(key, value);
    out.emplace_back(key, value);
  }
  return out;
}

}  // namespace biodev::profile
