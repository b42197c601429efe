// Variable interpolation in profile values and .env files, compose-compatible:
//   $$              a literal $
//   ${VAR} / $VAR   the value ("" when unset, with a warning)
//   ${VAR:-dflt}    dflt when VAR is unset or empty   (${VAR-dflt}: only when unset)
//   ${VAR:?msg}     error "msg" when VAR is unset or empty (${VAR?msg}: only when unset)
//   ${VAR:+alt}     alt when VAR is set and non-empty  (${VAR+alt}: when set)
// Defaults may nest: ${A:-${B:-x}}.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "profile/errors.h"
#include "profile/model.h"

namespace biodev::profile {

// Where variables come from, highest precedence first: the process environment,
// then the project's .env file(s), then biodev's built-ins (BIODEV_UID, ...).
class Variables {
 public:
  using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
  explicit Variables(EnvLookup process_env);
  static Variables from_process();  // getenv

  void set_dotenv(const std::string& name, const std::string& value);
  void set_builtin(const std::string& name, const std::string& value);
  std::optional<std::string> get(const std::string& name) const;
  // True when the value came from a .env file rather than the process or a built-in.
  bool from_dotenv(const std::string& name) const;
  const std::map<std::string, std::string>& dotenv() const { return dotenv_; }

 private:
  EnvLookup process_env_;
  std::map<std::string, std::string> dotenv_;
  std::map<std::string, std::string> builtins_;
};

struct InterpolationResult {
  std::string value;
  std::vector<std::string> used;   // variable names referenced
  std::vector<std::string> unset;  // referenced without a default and not set
};

// Throws ProfileError at `loc` for ${VAR:?msg}, unterminated ${, or a bad name.
InterpolationResult interpolate(std::string_view text, const Variables& vars,
                                const SourceLoc& loc);

// Parses a .env file: KEY=VALUE lines, optional `export `, # comments, single quotes
// (literal), double quotes (\n, \t, \", \\ escapes, ${VAR} interpolated), unquoted
// values (trailing " #comment" dropped, ${VAR} interpolated against earlier lines and
// `vars`). Throws ProfileError with file:line:col on malformed lines.
std::vector<std::pair<std::string, std::string>> parse_dotenv(std::string_view text,
                                                              const std::string& file,
                                                              const Variables& vars);

bool is_valid_var_name(std::string_view name);

}  // namespace biodev::profile
