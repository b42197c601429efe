#include "profile/shell_words.h"

#include <algorithm>
#include <cctype>

namespace biodev::profile {
namespace {

bool is_operator_char(char c) { return c == '|' || c == '&' || c == ';'; }

// A redirection starting at `i` ("2>&1", ">", ">>", "<", "2>"): its length (0 when
// there is none) and whether a target word follows it ("> file", not "2>&1").
struct Redirection {
  size_t length = 0;
  bool takes_word = false;
};
Redirection redirection_at(std::string_view s, size_t i) {
  size_t j = i;
  while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
  if (j >= s.size() || (s[j] != '>' && s[j] != '<')) return {};
  ++j;
  if (j < s.size() && s[j] == '>') ++j;
  if (j < s.size() && s[j] == '&') {
    ++j;
    while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '-')) ++j;
    return {j - i, false};
  }
  return {j - i, true};
}

}  // namespace

std::vector<ShellToken> split_shell_words(std::string_view s) {
  std::vector<ShellToken> out;
  std::string word;
  bool in_word = false;
  bool skip_next_word = false;  // the target of a redirection
  auto flush = [&] {
    if (!in_word) return;
    if (skip_next_word) skip_next_word = false;
    else out.push_back({word, false});
    word.clear();
    in_word = false;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (in_word && (c == '>' || c == '<')) {
      // "x>file" ends the word; in "2>file" the digits were the descriptor.
      bool fd = !word.empty() && std::all_of(word.begin(), word.end(), [](char d) { return d >= '0' && d <= '9'; });
      if (fd) {
        word.clear();
        in_word = false;
      } else {
        flush();
      }
    }
    if (!in_word) {
      if (Redirection r = redirection_at(s, i); r.length) {
        skip_next_word = r.takes_word;
        i += r.length - 1;
        continue;
      }
    }
    if (std::isspace(static_cast<unsigned char>(c))) {
      flush();
    } else if (is_operator_char(c)) {
      flush();
      std::string op(1, c);
      if ((c == '|' || c == '&') && i + 1 < s.size() && s[i + 1] == c) op += s[++i];
      out.push_back({op, true});
    } else if (c == '\'') {
      in_word = true;
      for (++i; i < s.size() && s[i] != '\''; ++i) word += s[i];
    } else if (c == '"') {
      in_word = true;
      for (++i; i < s.size() && s[i] != '"'; ++i) {
        if (s[i] == '\\' && i + 1 < s.size() && std::string_view("\"\\$`").find(s[i + 1]) != std::string_view::npos)
          ++i;
        word += s[i];
      }
    } else if (c == '\\' && i + 1 < s.size()) {
      in_word = true;
      if (s[i + 1] != '\n') word += s[i + 1];
      ++i;
    } else {
      in_word = true;
      word += c;
    }
  }
  flush();
  return out;
}

std::string program_name(const std::string& word) {
  size_t slash = word.rfind('/');
  return slash == std::string::npos ? word : word.substr(slash + 1);
}

std::vector<std::vector<std::string>> simple_commands(const std::vector<ShellToken>& tokens) {
  std::vector<std::vector<std::string>> out(1);
  for (const auto& t : tokens) {
    if (t.is_operator) {
      if (!out.back().empty()) out.emplace_back();
      continue;
    }
    bool assignment = out.back().empty() && t.text.find('=') != std::string::npos &&
                      (std::isalpha(static_cast<unsigned char>(t.text[0])) || t.text[0] == '_');
    if (assignment) {
      size_t eq = t.text.find('=');
      bool name_ok = true;
      for (size_t k = 0; k < eq; ++k)
        name_ok &= std::isalnum(static_cast<unsigned char>(t.text[k])) || t.text[k] == '_';
      if (name_ok) continue;
    }
    out.back().push_back(t.text);
  }
  if (out.back().empty()) out.pop_back();
  return out;
}

}  // namespace biodev::profile
