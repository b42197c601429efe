// Just enough of the Dockerfile syntax for biodev's builds: instructions with the line
// they start on (so an engine error at "Step 3/5" can name Dockerfile:7), the base
// images FROM lines name, and rewriting those (offline substitutes). Pure.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace biodev::images {

struct Instruction {
  int line = 0;         // 1-based line of the instruction's first line
  std::string keyword;  // upper case: "FROM", "RUN"
  std::string text;     // continuation lines joined, as the engine prints it after "Step N/M : "
};

// Comments, blank lines and `\` continuations are handled as the engine handles them.
std::vector<Instruction> parse_dockerfile(std::string_view text);

// The images FROM lines build on, in order, without "scratch", earlier stage names
// (FROM base AS x ... FROM x) and references that use ${ARG}s.
std::vector<std::string> base_images(const std::vector<Instruction>& instructions);

// `text` with each FROM naming a key of `replace` naming its value instead; every
// other byte unchanged.
std::string rewrite_from(std::string_view text, const std::map<std::string, std::string>& replace);

// `text` cut before the first FROM after the stage named `target` (case-insensitive), so
// the engine builds up to that stage and no further, as `--target` does. Throws
// std::invalid_argument when no stage has that name.
std::string cut_to_target(std::string_view text, const std::string& target);

// The Dockerfile line an engine build error belongs to: a "line N" in the message (parse
// errors), else the line of step `step` (1-based, counting every instruction as the
// classic builder does). 0 when unknown.
int error_line(const std::vector<Instruction>& instructions, int step, std::string_view message);

}  // namespace biodev::images
