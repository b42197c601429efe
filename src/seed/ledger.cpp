#include "seed/ledger.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "util/crypto.h"
#include "util/strings.h"

namespace biodev::seed {
namespace fs = std::filesystem;

bool ScriptFile::shell() const { return ends_with(name, ".sh"); }

namespace {

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw std::runtime_error("cannot read " + p.string());
  return ss.str();
}

bool is_script_name(const std::string& name) {
  return !starts_with(name, ".") && (ends_with(name, ".sql") || ends_with(name, ".sh"));
}

}  // namespace

std::vector<ScriptFile> list_scripts(const std::string& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return {};
  std::vector<ScriptFile> files;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    // is_regular_file follows symlinks, so a linked script counts like a copy.
    if (!is_script_name(name) || !it->is_regular_file()) continue;
    ScriptFile f{name, it->path().string(), read_file(it->path()), ""};
    f.checksum = sha256_hex(f.content);
    files.push_back(std::move(f));
  }
  if (ec) throw std::runtime_error("cannot list " + dir + ": " + ec.message());
  // std::string compares as unsigned bytes: the byte order the contract promises.
  std::sort(files.begin(), files.end(),
            [](const ScriptFile& a, const ScriptFile& b) { return a.name < b.name; });
  return files;
}

std::vector<ScriptDecision> decide_scripts(const std::vector<ScriptFile>& files,
                                           const std::vector<LedgerRow>& ledger, bool reseed) {
  std::map<std::string, std::string> recorded;
  for (const auto& row : ledger) recorded[row.name] = row.checksum;
  std::vector<ScriptDecision> out;
  for (const auto& f : files) {
    ScriptDecision d{&f, ScriptAction::kApply, ""};
    auto it = recorded.find(f.name);
    if (it != recorded.end()) {
      d.recorded_checksum = it->second;
      if (it->second == f.checksum)
        d.action = ScriptAction::kUnchanged;
      else
        d.action = reseed ? ScriptAction::kReapply : ScriptAction::kChanged;
    }
    out.push_back(std::move(d));
  }
  return out;
}

int line_of_position(std::string_view text, long position) {
  if (position <= 0) return 0;
  int line = 1;
  long chars = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) == 0x80) continue;  // UTF-8 continuation byte: same character
    if (++chars == position) return line;
    if (c == '\n') ++line;
  }
  // Past the end (an error at end of input points one past the last character).
  return !text.empty() && text.back() == '\n' && line > 1 ? line - 1 : line;
}

std::string tail_lines(std::string_view text, size_t max_lines, size_t max_bytes) {
  std::string t = trim(text);
  std::string_view v = t;
  if (v.size() > max_bytes) v = v.substr(v.size() - max_bytes);
  size_t lines = 0, pos = v.size();
  while (pos > 0) {
    size_t nl = v.rfind('\n', pos - 1);
    if (nl == std::string_view::npos) break;
    if (++lines == max_lines) {
      v = v.substr(nl + 1);
      break;
    }
    pos = nl;
  }
  return std::string(v);
}

std::string display_dir(const std::string& dir, const std::string& cwd) {
  // "/proj/." (a profile's "scripts: .") and "/proj/x/" name the same folders as "/proj"
  // and "/proj/x".
  auto normal = [](const std::string& p) {
    std::string s = fs::path(p).lexically_normal().string();
    while (s.size() > 1 && s.back() == '/') s.pop_back();
    return s;
  };
  std::string d = normal(dir);
  if (cwd.empty()) return d;
  std::string c = normal(cwd);
  if (d == c) return ".";
  std::string base = c == "/" ? c : c + "/";
  return starts_with(d, base) ? d.substr(base.size()) : d;
}

}  // namespace biodev::seed
