// The live view's lines are cut to the terminal's width instead of wrapping.
#include <doctest/doctest.h>

#include "ui/reporter.h"

using biodev::ui::fit_line;

TEST_CASE("fit_line leaves a line that fits, and keeps the last column free") {
  CHECK(fit_line("postgres ready", 80) == "postgres ready");
  CHECK(fit_line("0123456789", 11) == "0123456789");
  CHECK(fit_line("0123456789", 10) == "01234567…");
  CHECK(fit_line("anything", 0) == "anything");  // not a terminal: as is
  CHECK(fit_line("abc", 1).empty());
}

TEST_CASE("fit_line counts UTF-8 code points as cells and never splits one") {
  const std::string line = "✔ postgres               ready      0.4s  →→→ detail";
  std::string cut = fit_line(line, 20);
  CHECK(cut == "✔ postgres        …");
  // 19 cells: 18 code points and the ellipsis.
  size_t cells = 0;
  for (char c : cut) cells += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  CHECK(cells == 19);
  CHECK(fit_line("→→→→→", 4) == "→→…");
}
