#include "images/assemble.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>

#include "util/strings.h"

namespace biodev::images {

namespace {

using Vars = std::map<std::string, std::string>;

bool name_char(char c, bool first) {
  return c == '_' || std::isalpha(static_cast<unsigned char>(c)) || (!first && std::isdigit(static_cast<unsigned char>(c)));
}

std::vector<std::string> lex(std::string_view s, const Vars& vars, bool split);

// `s[i]` is '$': the expansion, with `i` moved past it. A '$' before no name is itself.
std::string dollar(std::string_view s, size_t& i, const Vars& vars) {
  auto value = [&](const std::string& name) {
    auto it = vars.find(name);
    return it == vars.end() ? std::optional<std::string>() : std::optional<std::string>(it->second);
  };
  if (i + 1 < s.size() && s[i + 1] == '{') {
    size_t j = i + 2;
    while (j < s.size() && name_char(s[j], j == i + 2)) ++j;
    std::string name(s.substr(i + 2, j - i - 2));
    if (name.empty() || j >= s.size()) throw std::invalid_argument("bad substitution in \"" + std::string(s) + "\"");
    if (s[j] == '}') {
      i = j + 1;
      return value(name).value_or("");
    }
    bool colon = s[j] == ':';
    if (colon) ++j;
    if (j >= s.size() || (s[j] != '-' && s[j] != '+'))
      throw std::invalid_argument("unsupported modifier in \"" + std::string(s) + "\"");
    char op = s[j++];
    size_t start = j;
    for (int depth = 1; j < s.size(); ++j) {
      if (s[j] == '{') ++depth;
      if (s[j] == '}' && --depth == 0) break;
    }
    if (j >= s.size()) throw std::invalid_argument("missing '}' in \"" + std::string(s) + "\"");
    std::string word = dockerfile_word(s.substr(start, j - start), vars);
    i = j + 1;
    auto v = value(name);
    bool set = v && (!colon || !v->empty());
    if (op == '-') return set ? *v : word;
    return set ? word : "";
  }
  size_t j = i + 1;
  while (j < s.size() && name_char(s[j], j == i + 1)) ++j;
  if (j == i + 1) {
    ++i;
    return "$";
  }
  std::string name(s.substr(i + 1, j - i - 1));
  i = j;
  return value(name).value_or("");
}

std::vector<std::string> lex(std::string_view s, const Vars& vars, bool split) {
  std::vector<std::string> words;
  std::string cur;
  bool have = false;
  for (size_t i = 0; i < s.size();) {
    char c = s[i];
    if (split && (c == ' ' || c == '\t')) {
      if (have) words.push_back(cur);
      cur.clear();
      have = false;
      ++i;
      continue;
    }
    have = true;
    if (c == '\\') {
      cur += i + 1 < s.size() ? s[i + 1] : c;
      i += 2;
    } else if (c == '\'') {
      size_t j = s.find('\'', i + 1);
      if (j == std::string_view::npos)
        throw std::invalid_argument("unexpected end of statement while looking for matching single-quote");
      cur += s.substr(i + 1, j - i - 1);
      i = j + 1;
    } else if (c == '"') {
      for (++i; i < s.size() && s[i] != '"';) {
        if (s[i] == '\\' && i + 1 < s.size() && (s[i + 1] == '"' || s[i + 1] == '$' || s[i + 1] == '\\')) {
          cur += s[i + 1];
          i += 2;
        } else if (s[i] == '$') {
          cur += dollar(s, i, vars);
        } else {
          cur += s[i++];
        }
      }
      if (i >= s.size()) throw std::invalid_argument("unexpected end of statement while looking for matching double-quote");
      ++i;
    } else if (c == '$') {
      cur += dollar(s, i, vars);
    } else {
      cur += c;
      ++i;
    }
  }
  if (have) words.push_back(cur);
  return words;
}

// What follows the keyword.
std::string args_of(const Instruction& ins) {
  size_t sp = ins.text.find_first_of(" \t");
  return sp == std::string::npos ? "" : trim(ins.text.substr(sp + 1));
}

std::string absolute(const std::string& workdir, const std::string& path) {
  return clean_path(path.starts_with('/') ? path : workdir + "/" + path);
}

// `KEY=value ...` pairs, or the older `KEY value` (one pair, the rest of the line).
std::vector<std::pair<std::string, std::string>> pairs(const Instruction& ins, const Vars& vars) {
  std::string args = args_of(ins);
  std::vector<std::pair<std::string, std::string>> out;
  size_t sp = args.find_first_of(" \t");
  std::string first = args.substr(0, sp);
  if (first.find('=') == std::string::npos) {
    if (sp == std::string::npos)
      throw AssemblyError(ins.line, ins.keyword + " " + first + " has no value (KEY=value, or KEY value)");
    out.emplace_back(first, dockerfile_word(trim(args.substr(sp + 1)), vars));
    return out;
  }
  for (const auto& w : lex(args, vars, true)) {
    size_t eq = w.find('=');
    if (eq == std::string::npos || eq == 0)
      throw AssemblyError(ins.line, ins.keyword + ": \"" + w + "\" is not KEY=value");
    out.emplace_back(w.substr(0, eq), w.substr(eq + 1));
  }
  return out;
}

// The exec (JSON array of strings) form of an instruction's arguments, if written so.
std::optional<nlohmann::json> exec_form(const std::string& args) {
  if (!args.starts_with('[')) return std::nullopt;
  auto j = nlohmann::json::parse(args, nullptr, false);
  if (j.is_array() && std::all_of(j.begin(), j.end(), [](const auto& e) { return e.is_string(); })) return j;
  return std::nullopt;
}

// The exec form, else the shell form through `shell`.
std::vector<std::string> command(const std::string& args, const std::vector<std::string>& shell) {
  std::vector<std::string> out;
  if (auto j = exec_form(args)) {
    for (const auto& e : *j) out.push_back(e.get<std::string>());
    return out;
  }
  out = shell.empty() ? std::vector<std::string>{"/bin/sh", "-c"} : shell;
  out.push_back(args);
  return out;
}

// The JSON-array form's elements, or the words; variables expanded either way.
std::vector<std::string> list_args(const std::string& args, const Vars& vars) {
  auto j = exec_form(args);
  if (!j) return lex(args, vars, true);
  std::vector<std::string> out;
  for (const auto& e : *j) out.push_back(dockerfile_word(e.get<std::string>(), vars));
  return out;
}

bool numeric_owner(const std::string& owner) {
  auto digits = [](std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  };
  size_t colon = owner.find(':');
  if (colon == std::string::npos) return digits(owner);
  return digits(std::string_view(owner).substr(0, colon)) && digits(std::string_view(owner).substr(colon + 1));
}

}  // namespace

std::string clean_path(const std::string& path) {
  std::vector<std::string> parts;
  for (const auto& p : split(path, '/')) {
    if (p.empty() || p == ".") continue;
    if (p == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(p);
  }
  return "/" + join(parts, "/");
}

std::vector<std::string> dockerfile_words(std::string_view text, const std::map<std::string, std::string>& vars) {
  return lex(text, vars, true);
}

std::string dockerfile_word(std::string_view text, const std::map<std::string, std::string>& vars) {
  auto words = lex(text, vars, false);
  return words.empty() ? "" : words.front();
}

std::string needs_builder(const std::vector<Instruction>& instructions) {
  static const std::set<std::string> kApplied = {"FROM",   "ARG",  "ENV",        "LABEL",      "WORKDIR", "COPY",
                                                 "USER",   "EXPOSE", "CMD",      "ENTRYPOINT", "STOPSIGNAL",
                                                 "VOLUME", "MAINTAINER"};
  int froms = 0;
  for (const auto& ins : instructions) {
    std::string at = "Dockerfile line " + std::to_string(ins.line) + ": ";
    if (!kApplied.count(ins.keyword)) return at + ins.keyword;
    std::string args = args_of(ins);
    if (ins.keyword == "FROM") {
      if (++froms > 1) return at + "a second FROM (a multi-stage build)";
      if (args.starts_with("--")) return at + "FROM " + args.substr(0, args.find(' '));
    }
    if (ins.keyword == "COPY") {
      for (const auto& w : split(args, ' ')) {
        if (!w.starts_with("--")) break;
        if (w.starts_with("--chown=") && numeric_owner(w.substr(8))) continue;
        return at + "COPY " + w;
      }
    }
  }
  return froms == 1 ? "" : "no FROM";
}

std::string assembly_base(const std::vector<Instruction>& instructions,
                          const std::map<std::string, std::string>& build_args) {
  Vars global;
  for (const auto& ins : instructions) {
    std::string args = args_of(ins);
    if (ins.keyword == "ARG") {
      size_t eq = args.find('=');
      std::string name = trim(args.substr(0, eq));
      auto given = build_args.find(name);
      global[name] = given != build_args.end() ? given->second
                     : eq == std::string::npos ? ""
                                               : dockerfile_word(args.substr(eq + 1), global);
    } else if (ins.keyword == "FROM") {
      auto words = lex(args, global, true);
      return words.empty() ? "" : words.front();
    }
  }
  return "";
}

namespace {

// plan_assembly's walk over the Dockerfile: the config being made, the ARG scopes (the
// global one before the first FROM, the stage's after) and the ENV values.
class Assembler {
 public:
  Assembler(const std::map<std::string, std::string>& build_args,
            const docker::ImageConfig& base_config)
      : build_args_(build_args) {
    a_.config = base_config;
    for (const std::string& kv : cfg().env()) {
      size_t eq = kv.find('=');
      if (eq != std::string::npos) vars_[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    workdir_ = cfg().working_dir();
    if (workdir_.empty()) workdir_ = "/";
  }

  void step(const Instruction& ins) {
    std::string args = args_of(ins);
    const std::string& k = ins.keyword;
    if (k == "ARG") {
      arg(args);
    } else if (k == "FROM") {
      auto words = lex(args, global_, true);
      a_.base = words.empty() ? "" : words.front();
      in_stage_ = true;
    } else if (k == "ENV") {
      for (const auto& [key, v] : pairs(ins, vars_)) {
        vars_[key] = v;
        cfg().set_env(key, v);
      }
    } else if (k == "LABEL") {
      for (const auto& [key, v] : pairs(ins, vars_)) cfg().set_label(key, v);
    } else if (k == "WORKDIR") {
      workdir_ = absolute(workdir_, dockerfile_word(args, vars_));
      cfg().set_working_dir(workdir_);
      a_.workdirs.push_back(workdir_);
    } else if (k == "USER") {
      cfg().set_user(dockerfile_word(args, vars_));
    } else if (k == "EXPOSE") {
      expose(ins, args);
    } else if (k == "CMD") {
      cfg().set_cmd(command(args, cfg().shell()));
      cmd_set_ = true;
    } else if (k == "ENTRYPOINT") {
      cfg().set_entrypoint(command(args, cfg().shell()));
      if (!cmd_set_) cfg().set_cmd(std::nullopt);  // an inherited CMD is reset by ENTRYPOINT
    } else if (k == "STOPSIGNAL") {
      cfg().set_stop_signal(dockerfile_word(args, vars_));
    } else if (k == "VOLUME") {
      for (const auto& v : list_args(args, vars_)) cfg().add_volume(v);
    } else if (k == "COPY") {
      copy(ins, args);
    }
    // MAINTAINER: the image's author only; nothing that runs.
  }

  Assembly take() { return std::move(a_); }

 private:
  docker::ImageConfig& cfg() { return a_.config; }

  void arg(const std::string& args) {
    size_t eq = args.find('=');
    std::string name = trim(args.substr(0, eq));
    auto given = build_args_.find(name);
    Vars& scope = in_stage_ ? vars_ : global_;
    if (given != build_args_.end()) {
      scope[name] = given->second;
    } else if (eq != std::string::npos) {
      scope[name] = dockerfile_word(args.substr(eq + 1), scope);
    } else if (in_stage_ && global_.count(name)) {
      scope[name] = global_[name];  // a global ARG declared again in the stage keeps its value
    } else if (!scope.count(name)) {
      scope[name] = "";
    }
  }

  void expose(const Instruction& ins, const std::string& args) {
    for (const auto& w : lex(args, vars_, true)) {
      size_t slash = w.find('/');
      std::string proto = slash == std::string::npos ? "tcp" : to_lower(w.substr(slash + 1));
      std::string ports = w.substr(0, slash);
      size_t dash = ports.find('-');
      int lo = 0, hi = 0;
      try {
        lo = std::stoi(ports.substr(0, dash));
        hi = dash == std::string::npos ? lo : std::stoi(ports.substr(dash + 1));
      } catch (const std::exception&) {
        throw AssemblyError(ins.line, "EXPOSE: \"" + w + "\" is not a port");
      }
      if (lo < 1 || hi > 65535 || hi < lo)
        throw AssemblyError(ins.line, "EXPOSE: \"" + w + "\" is not a port");
      for (int p = lo; p <= hi; ++p) cfg().expose(std::to_string(p) + "/" + proto);
    }
  }

  void copy(const Instruction& ins, std::string args) {
    CopyStep c;
    c.line = ins.line;
    while (args.starts_with("--")) {
      size_t sp = args.find_first_of(" \t");
      std::string flag = args.substr(0, sp);
      args = sp == std::string::npos ? "" : trim(args.substr(sp + 1));
      std::string owner =
          dockerfile_word(flag.substr(8), vars_);  // --chown= (needs_builder let no other by)
      size_t colon = owner.find(':');
      c.has_owner = true;
      c.uid = static_cast<unsigned>(std::stoul(owner.substr(0, colon)));
      c.gid = colon == std::string::npos
                  ? c.uid
                  : static_cast<unsigned>(std::stoul(owner.substr(colon + 1)));
    }
    std::vector<std::string> words = list_args(args, vars_);
    if (words.size() < 2) throw AssemblyError(ins.line, "COPY requires at least two arguments");
    for (size_t k = 0; k + 1 < words.size(); ++k) c.sources.push_back(words[k]);
    std::string dest = words.back();
    bool folder = dest.ends_with('/') || dest == "." || dest.ends_with("/.");
    c.dest = absolute(workdir_, dest);
    if (folder && c.dest != "/") c.dest += "/";
    a_.copies.push_back(std::move(c));
  }

  const std::map<std::string, std::string>& build_args_;
  Assembly a_;
  Vars global_, vars_;
  std::string workdir_;
  bool in_stage_ = false, cmd_set_ = false;
};

}  // namespace

Assembly plan_assembly(const std::vector<Instruction>& instructions,
                       const std::map<std::string, std::string>& build_args,
                       const docker::ImageConfig& base_config) {
  Assembler assembler(build_args, base_config);
  for (const auto& ins : instructions) {
    try {
      assembler.step(ins);
    } catch (const AssemblyError&) {
      throw;
    } catch (const std::invalid_argument& e) {
      throw AssemblyError(ins.line, ins.keyword + ": " + e.what());
    } catch (const std::out_of_range& e) {
      throw AssemblyError(ins.line, ins.keyword + ": " + e.what());
    }
  }
  return assembler.take();
}

}  // namespace biodev::images
