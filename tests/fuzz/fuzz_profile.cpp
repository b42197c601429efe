// libFuzzer target: the profile loader (YAML parse, extends:, .env, interpolation,
// schema parsing, validation) and the .env parser, on arbitrary text.
//
// Expected outcomes: a Profile, or biodev::Error (ProfileError and the other usage
// errors). Anything else escaping, a crash or a sanitizer report is a finding.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <typeinfo>

#include "profile/errors.h"
#include "profile/interpolate.h"
#include "profile/loader.h"
#include "util/error.h"

namespace fs = std::filesystem;
using namespace biodev;
using namespace biodev::profile;

namespace {

fs::path g_project;

void write(const fs::path& p, std::string_view text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

// A small project folder the inputs can refer to: a .env, profiles to extend (one of
// them part of an extends: cycle) and a seed scripts folder.
void make_project() {
  char tmpl[] = "/tmp/biodev-fuzz-XXXXXX";
  if (!mkdtemp(tmpl)) std::abort();
  g_project = tmpl;
  write(g_project / ".env", "TAG=1.36\nDB_PASSWORD='s3cr3t pass'\nexport PORT=5432\n");
  write(g_project / "extra.env", "EXTRA=\"a ${TAG} b\"\n");
  write(g_project / "profiles" / "base.yaml",
        "services:\n  db:\n    image: postgres:16.4\n    ports: [\"5432:5432\"]\n");
  write(g_project / "profiles" / "loop.yaml", "extends: loop2\nservices: {}\n");
  write(g_project / "profiles" / "loop2.yaml", "extends: loop\nservices: {}\n");
  fs::create_directories(g_project / "init-scripts" / "db");
  std::atexit([] {
    std::error_code ec;
    fs::remove_all(g_project, ec);
  });
}

Variables fixed_vars() {
  return Variables([](const std::string& name) -> std::optional<std::string> {
    if (name == "HOME") return "/home/dev";
    if (name == "USER") return "dev";
    if (name == "EMPTY") return "";
    return std::nullopt;
  });
}

[[noreturn]] void unexpected(const char* what, const char* message) {
  std::fprintf(stderr, "unexpected %s escaped: %s\n", what, message);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  make_project();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  LoadOptions options;
  options.profile = "fuzz.yaml";
  options.project_dir = g_project.string();
  options.project = "fuzz";
  options.vars = fixed_vars();
  try {
    Profile p = load_profile_text(text, "fuzz.yaml", options);
    (void)p;
  } catch (const Error&) {
    // ProfileError, UsageError: the expected rejections.
  } catch (const std::exception& e) {
    unexpected(typeid(e).name(), e.what());
  }
  try {
    parse_dotenv(text, "fuzz.env", fixed_vars());
  } catch (const Error&) {
  } catch (const std::exception& e) {
    unexpected(typeid(e).name(), e.what());
  }
  return 0;
}
