// Small string helpers shared across folders.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace biodev {

std::vector<std::string> split(std::string_view s, char sep);
std::string join(const std::vector<std::string>& parts, std::string_view sep);
bool starts_with(std::string_view s, std::string_view prefix);
bool ends_with(std::string_view s, std::string_view suffix);
std::string to_lower(std::string_view s);
std::string trim(std::string_view s);
// `s` without terminal escape sequences (ESC [ ... final byte), as the engine's builder
// wraps a step's stderr in "\x1b[91m" ... "\x1b[0m".
std::string strip_terminal_codes(std::string_view s);
// Text up to the first newline.
std::string first_line(std::string_view s);

// Quotes `s` for a POSIX shell when it needs quoting.
std::string shell_quote(std::string_view s);

// Edit distance, for "did you mean" suggestions.
size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word` within a distance of 2 (or a third of its length), if any.
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

// True when an env var name looks like it holds a secret (*PASSWORD*, *SECRET*, *KEY*, *TOKEN*).
bool is_secret_name(std::string_view name);

// "1.23s", "45ms", "120µs".
std::string format_duration_us(long long micros);

// Lowercase hex of bytes.
std::string hex(std::string_view bytes);

}  // namespace biodev
