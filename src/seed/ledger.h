// The pure half of postgres seeding: which scripts exist, which of them to apply, and
// where in a file a server error points. No database and no libpq here.
//
// The ledger is the table biodev_seed_ledger(name, checksum, applied_at) inside the
// seeded database: one row per script applied, keyed by file name.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace biodev::seed {

struct ScriptFile {
  std::string name;  // "02_schema.sql"
  std::string path;  // absolute
  std::string content;
  std::string checksum;  // lowercase hex sha256 of content
  bool shell() const;    // a .sh script (run in the container), else .sql
};

struct LedgerRow {
  std::string name;
  std::string checksum;
};

enum class ScriptAction {
  kApply,      // not in the ledger
  kUnchanged,  // in the ledger with the same checksum
  kReapply,    // checksum differs and reseeding was asked for
  kChanged,    // checksum differs: an error unless reseeding
};

struct ScriptDecision {
  const ScriptFile* file = nullptr;
  ScriptAction action = ScriptAction::kApply;
  std::string recorded_checksum;  // for kReapply and kChanged
};

// The *.sql and *.sh regular files directly in `dir` (dot files skipped), read and
// checksummed, sorted by name in byte order. A missing folder is empty. Throws
// std::runtime_error when the folder or a file cannot be read.
std::vector<ScriptFile> list_scripts(const std::string& dir);

// One decision per file, in the files' order. Ledger rows without a file are ignored (the
// file was removed; what it did stays done).
std::vector<ScriptDecision> decide_scripts(const std::vector<ScriptFile>& files,
                                           const std::vector<LedgerRow>& ledger, bool reseed);

// The 1-based line of a 1-based character position (as Postgres reports it in an error
// for the query text; characters, not bytes, so UTF-8 sequences count once). 0 when the
// position is unknown (<= 0); past the end, the last line.
int line_of_position(std::string_view text, long position);

// The last `max_lines` lines of `text`, at most `max_bytes` of them, trimmed; for
// quoting a failed script's output.
std::string tail_lines(std::string_view text, size_t max_lines = 15, size_t max_bytes = 2000);

// How a script folder is named in messages: relative to `cwd` when inside it
// ("init-scripts/postgres"), else as given.
std::string display_dir(const std::string& dir, const std::string& cwd);

}  // namespace biodev::seed
