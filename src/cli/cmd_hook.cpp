// `biodev hook install`: run `biodev health` before every commit, without clobbering
// a pre-commit hook that is already there. biodev's part sits between two marker
// lines, so installing twice changes nothing and `hook uninstall` removes only it.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "util/strings.h"

namespace biodev::cli {

namespace fs = std::filesystem;

namespace {

constexpr const char* kBegin = "# >>> biodev health >>>";
constexpr const char* kEnd = "# <<< biodev health <<<";

fs::path git_dir(const fs::path& start) {
  for (fs::path p = fs::absolute(start); !p.empty(); p = p.parent_path()) {
    fs::path dot = p / ".git";
    if (fs::is_directory(dot)) return dot;
    if (fs::is_regular_file(dot)) {  // worktrees and submodules: "gitdir: <path>"
      std::ifstream in(dot);
      std::string line;
      std::getline(in, line);
      if (line.starts_with("gitdir: ")) {
        fs::path g = line.substr(8);
        return g.is_absolute() ? g : p / g;
      }
    }
    if (p == p.parent_path()) break;
  }
  throw UsageError("not inside a git repository (no .git found from " + start.string() + " upwards)");
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string strip_block(const std::string& text) {
  size_t b = text.find(kBegin), e = text.find(kEnd);
  if (b == std::string::npos || e == std::string::npos || e < b) return text;
  size_t end = text.find('\n', e);
  return text.substr(0, b) + (end == std::string::npos ? "" : text.substr(end + 1));
}

std::string block(const std::string& binary, const std::string& args) {
  return std::string(kBegin) +
         "\n# Blocks the commit when the local stack is unhealthy; `git commit --no-verify` skips it.\n"
         "biodev_bin=${BIODEV:-" + shell_quote(binary) + "}\n"
         "command -v \"$biodev_bin\" >/dev/null 2>&1 || biodev_bin=biodev\n"
         "if ! \"$biodev_bin\" " + args + "health; then\n"
         "  echo 'pre-commit: the biodev stack is not healthy (see above); fix it, or commit with --no-verify' >&2\n"
         "  exit 1\n"
         "fi\n" + kEnd + "\n";
}

}  // namespace

Runner setup_hook(CLI::App& sub, Context& ctx) {
  sub.require_subcommand(1);
  auto install = sub.add_subcommand("install", "Add `biodev health` to .git/hooks/pre-commit");
  auto uninstall = sub.add_subcommand("uninstall", "Remove biodev's part of .git/hooks/pre-commit");
  return [&ctx, install, uninstall] {
    fs::path hook = git_dir(fs::current_path()) / "hooks" / "pre-commit";
    fs::create_directories(hook.parent_path());
    std::string existing = fs::exists(hook) ? slurp(hook) : "";
    std::string rest = strip_block(existing);
    if (uninstall->parsed()) {
      if (rest == existing) {
        std::cerr << "no biodev block in " << hook.string() << "\n";
        return 0;
      }
      std::ofstream(hook) << rest;
      std::cerr << "removed biodev's block from " << hook.string() << "\n";
      return 0;
    }
    (void)install;
    if (!rest.empty() && !rest.starts_with("#!/bin/sh") && !rest.starts_with("#!/usr/bin/env bash") &&
        !rest.starts_with("#!/bin/bash") && !rest.starts_with("#!/usr/bin/env sh"))
      throw Error(ExitCode::kFailed, hook.string() + " exists and is not a shell script; add `biodev health` "
                                     "to it yourself (it exits non-zero when the stack is unhealthy)");
    std::string args;
    if (!ctx.options.project.empty()) args += "-p " + shell_quote(ctx.options.project) + " ";
    for (const auto& f : ctx.options.files) args += "-f " + shell_quote(f) + " ";
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    std::string binary = n > 0 ? std::string(self, static_cast<size_t>(n)) : "biodev";
    std::string text = rest.empty() ? "#!/bin/sh\n" + block(binary, args) : rest + (rest.ends_with("\n") ? "" : "\n") + block(binary, args);
    std::ofstream(hook) << text;
    chmod(hook.c_str(), 0755);
    std::cerr << (existing.empty() ? "installed " : rest == existing ? "added biodev to " : "updated ") << hook.string() << "\n";
    return 0;
  };
}

}  // namespace biodev::cli
