// biodev's command line: parses argv against the command table and runs one verb.
#pragma once

namespace biodev::cli {

// Returns the process exit code (docs/cli.md, "Exit codes").
int run(int argc, char** argv);

}  // namespace biodev::cli
