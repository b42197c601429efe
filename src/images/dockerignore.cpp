#include "images/dockerignore.h"

#include <filesystem>
#include <stdexcept>

#include "util/strings.h"

namespace biodev::images {

namespace {

// The regex moby's patternmatcher compiles a pattern to, anchored at both ends.
std::string to_regex(const std::string& pattern) {
  std::string re = "^";
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '*') {
      if (i + 1 < pattern.size() && pattern[i + 1] == '*') {
        ++i;
        if (i + 1 < pattern.size() && pattern[i + 1] == '/') ++i;  // "**/" is "**"
        re += i + 1 == pattern.size() ? ".*" : "(.*/)?";
      } else {
        re += "[^/]*";
      }
    } else if (c == '?') {
      re += "[^/]";
    } else if (c == '\\' && i + 1 < pattern.size()) {
      re += '\\';
      re += pattern[++i];
    } else if (c == '[') {
      size_t end = pattern.find(']', i + 1);
      if (end == std::string::npos) {
        re += "\\[";
        continue;
      }
      re += "[" + pattern.substr(i + 1, end - i - 1) + "]";  // "[^a]" negates, as in Go
      i = end;
    } else if (std::string_view(".+()|{}^$").find(c) != std::string_view::npos) {
      re += '\\';
      re += c;
    } else {
      re += c;
    }
  }
  return re + "$";
}

// filepath.Clean, and no leading '/': "./a//b/" -> "a/b".
std::string clean(std::string_view p) {
  std::string s = std::filesystem::path(std::string(p)).lexically_normal().generic_string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  while (s.starts_with('/')) s.erase(0, 1);
  return s.empty() ? "." : s;
}

}  // namespace

DockerIgnore DockerIgnore::parse(std::string_view text) {
  DockerIgnore out;
  int number = 0;
  for (const std::string& raw : split(text, '\n')) {
    ++number;
    std::string line = trim(raw);
    if (line.empty() || line.starts_with('#')) continue;
    bool exception = line.starts_with('!');
    if (exception) line = trim(line.substr(1));
    if (line.empty()) continue;
    std::string pattern = clean(line);
    try {
      out.patterns_.push_back({pattern, std::regex(to_regex(pattern)), exception});
    } catch (const std::regex_error&) {
      throw std::invalid_argument("line " + std::to_string(number) + ": bad pattern \"" + line + "\"");
    }
    out.has_exceptions_ |= exception;
  }
  return out;
}

bool DockerIgnore::excluded(std::string_view path) const {
  std::string file(path);
  // The path itself, then each parent folder ("a/b/c": "a", "a/b").
  std::vector<std::string> candidates{file};
  for (size_t slash = file.find('/'); slash != std::string::npos; slash = file.find('/', slash + 1))
    candidates.push_back(file.substr(0, slash));
  bool out = false;
  for (const auto& p : patterns_) {
    for (const auto& c : candidates) {
      if (std::regex_match(c, p.re)) {
        out = !p.exception;
        break;
      }
    }
  }
  return out;
}

}  // namespace biodev::images
