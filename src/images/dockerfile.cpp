#include "images/dockerfile.h"

#include <regex>
#include <set>
#include <stdexcept>

#include "util/strings.h"

namespace biodev::images {

namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// "FROM --platform=x image AS name" -> {"image", "name"}.
std::pair<std::string, std::string> from_parts(const std::string& text) {
  std::vector<std::string> words;
  for (const auto& w : split(text, ' '))
    if (!w.empty() && !w.starts_with("--")) words.push_back(w);
  std::string image = words.size() > 1 ? words[1] : "";
  std::string stage = words.size() > 3 && upper(words[2]) == "AS" ? words[3] : "";
  return {image, stage};
}

}  // namespace

std::vector<Instruction> parse_dockerfile(std::string_view text) {
  std::vector<Instruction> out;
  std::vector<std::string> lines = split(text, '\n');
  Instruction cur;
  bool continuing = false;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string line = trim(lines[i]);
    if (line.empty() || line.starts_with('#')) continue;  // also inside continuations
    bool more = line.ends_with('\\');
    if (more) line = trim(line.substr(0, line.size() - 1));
    if (!continuing) {
      cur = {static_cast<int>(i + 1), upper(line.substr(0, line.find_first_of(" \t"))), line};
    } else {
      cur.text += " " + line;
    }
    continuing = more;
    if (!more) out.push_back(cur);
  }
  if (continuing) out.push_back(cur);
  return out;
}

std::vector<std::string> base_images(const std::vector<Instruction>& instructions) {
  std::vector<std::string> out;
  std::set<std::string> stages;
  for (const auto& ins : instructions) {
    if (ins.keyword != "FROM") continue;
    auto [image, stage] = from_parts(ins.text);
    bool known = stages.count(to_lower(image)) || to_lower(image) == "scratch";
    if (!image.empty() && !known && image.find('$') == std::string::npos) out.push_back(image);
    if (!stage.empty()) stages.insert(to_lower(stage));
  }
  return out;
}

std::string rewrite_from(std::string_view text, const std::map<std::string, std::string>& replace) {
  std::vector<std::string> lines = split(text, '\n');
  for (auto& line : lines) {
    std::string t = trim(line);
    if (upper(t.substr(0, 5)) != "FROM " && upper(t.substr(0, 5)) != "FROM\t") continue;
    auto [image, stage] = from_parts(t);
    auto it = replace.find(image);
    if (it == replace.end()) continue;
    size_t at = line.find(image, line.find_first_not_of(" \t") + 4);
    if (at != std::string::npos) line.replace(at, image.size(), it->second);
  }
  return join(lines, "\n");
}

std::string cut_to_target(std::string_view text, const std::string& target) {
  bool in_target = false;
  for (const auto& ins : parse_dockerfile(text)) {
    if (ins.keyword != "FROM") continue;
    if (in_target) {
      std::vector<std::string> lines = split(text, '\n');
      lines.resize(static_cast<size_t>(ins.line - 1));
      return join(lines, "\n") + "\n";
    }
    in_target = to_lower(from_parts(ins.text).second) == to_lower(target);
  }
  if (!in_target) throw std::invalid_argument("no stage of the Dockerfile is named \"" + target + "\"");
  return std::string(text);
}

int error_line(const std::vector<Instruction>& instructions, int step, std::string_view message) {
  static const std::regex kLine(R"(line (\d+))", std::regex::icase);
  std::match_results<std::string_view::const_iterator> m;
  if (std::regex_search(message.begin(), message.end(), m, kLine)) return std::stoi(m[1].str());
  if (step >= 1 && step <= static_cast<int>(instructions.size())) return instructions[step - 1].line;
  return 0;
}

}  // namespace biodev::images
