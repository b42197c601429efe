// `biodev snapshot save|restore|ls|rm NAME`: the stack's data saved and brought back
// (src/snapshot/, docs/snapshots.md). This file parses and prints.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "cli/commands.h"
#include "cli/table.h"
#include "plan/project_lock.h"
#include "plan/state.h"
#include "snapshot/snapshot.h"
#include "stack/leases.h"
#include "util/subprocess.h"

namespace biodev::cli {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

snapshot::Stores running_stores(Context& ctx) {
  const profile::Profile& p = ctx.profile();
  snapshot::Stores s = stack::host_stores(p, plan::observe(ctx.client(), p.project));
  if (!s.postgres && !s.redis && !s.s3 && !s.qdrant)
    throw Error(ExitCode::kFailed, "project " + p.project +
                                       " has no data store running (Postgres, Redis, S3, "
                                       "Qdrant): run `biodev up` first");
  return s;
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

void warn(Context& ctx, const snapshot::Outcome& o) {
  for (const auto& w : o.warnings) ctx.reporter().message(ui::Level::kWarn, w);
}

void print_result(Context& ctx, const std::string& verb, const snapshot::Outcome& o, double secs) {
  if (ctx.options.json) {
    std::cout << json{{"type", "result"},
                      {"command", "snapshot " + verb},
                      {"ok", true},
                      {"snapshot", snapshot::to_json(o.manifest)},
                      {"warnings", o.warnings},
                      {"seconds", secs}}
                     .dump()
              << "\n";
    return;
  }
  std::ostringstream parts;
  for (const auto& s : o.manifest.stores)
    parts << (parts.tellp() ? ", " : "") << s.store << " " << snapshot::size_text(s.bytes) << " ("
          << s.detail << ")";
  std::cerr << verb << " snapshot " << o.manifest.name;
  if (verb != "removed") std::cerr << ": " << parts.str();
  std::cerr << " in " << std::fixed << std::setprecision(2) << secs << "s\n";
}

// The next ready copy is made after the command returns, by `snapshot prepare` run in
// the background with this command's own arguments (it waits for the project lock).
void prepare_in_background(Context& ctx) {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::vector<std::string> argv;
  for (std::string a; std::getline(in, a, '\0');) argv.push_back(a);
  std::error_code ec;
  std::string exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  for (size_t i = 1; i + 1 < argv.size(); ++i)
    if (argv[i] == "snapshot" && argv[i + 1] == "restore") {
      argv[i + 1] = "prepare";
      break;
    }
  if (argv.empty() || exe.empty()) return;
  argv[0] = exe;
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  try {
    start_subprocess({argv}, null, null, null);
  } catch (const Error& e) {
    ctx.reporter().message(
        ui::Level::kWarn,
        std::string("the next ready copy will be made at the next restore: ") + e.what());
  }
  if (null >= 0) close(null);
}

std::string render_rows(const std::vector<std::vector<std::string>>& rows) {
  Table t(rows.front());
  for (size_t i = 1; i < rows.size(); ++i) t.add(rows[i]);
  return t.render();
}

int list_snapshots(Context& ctx) {
  auto all = snapshot::list(ctx.profile().project_dir);
  long long now = std::time(nullptr);
  if (ctx.options.json)
    std::cout << snapshot::ls_json(all, now).dump() << "\n";
  else if (all.empty())
    std::cout << snapshot::kNoSnapshots << "\n";
  else
    std::cout << render_rows(snapshot::ls_rows(all, now));
  return 0;
}

struct Verbs {
  std::string name;
  bool force = false;
  CLI::App *save = nullptr, *restore = nullptr, *rm = nullptr, *prepare = nullptr;
};

int remove_snapshot(Context& ctx, const std::string& name) {
  const profile::Profile& p = ctx.profile();
  snapshot::find(p.project_dir, name);  // exit 4 before asking the engine
  std::optional<snapshot::Stores> stores;
  try {
    stores = running_stores(ctx);
  } catch (const Error&) {
    // Not running: the folder goes, the databases go with the data (`down -v`).
  }
  auto t0 = Clock::now();
  auto o = snapshot::remove(stores ? &*stores : nullptr, p.project_dir, name);
  warn(ctx, o);
  print_result(ctx, "removed", o, seconds_since(t0));
  return 0;
}

int run(Context& ctx, const Verbs& v) {
  if (!v.save->parsed() && !v.restore->parsed() && !v.rm->parsed() && !v.prepare->parsed())
    return list_snapshots(ctx);
  const profile::Profile& p = ctx.profile();
  std::string verb = v.save->parsed()      ? "save"
                     : v.restore->parsed() ? "restore"
                     : v.rm->parsed()      ? "rm"
                                           : "prepare";
  if (std::string why = snapshot::name_problem(v.name); !why.empty()) throw UsageError(why);
  plan::ProjectLock lock(p.project, "snapshot " + verb, ctx.reporter(), &Context::cancelled());
  if (v.prepare->parsed()) {
    snapshot::prepare(running_stores(ctx), v.name);
    return 0;
  }
  if (v.rm->parsed()) return remove_snapshot(ctx, v.name);
  auto t0 = Clock::now();
  snapshot::Outcome o;
  if (v.save->parsed()) {
    o = snapshot::save(running_stores(ctx), p.project_dir, p.project, v.name, v.force);
  } else {
    snapshot::find(p.project_dir, v.name);  // exit 4 before asking the engine
    o = snapshot::restore(running_stores(ctx), p.project_dir, v.name);
    if (o.manifest.store("postgres")) prepare_in_background(ctx);
  }
  warn(ctx, o);
  print_result(ctx, v.save->parsed() ? "saved" : "restored", o, seconds_since(t0));
  return 0;
}

}  // namespace

Runner setup_snapshot(CLI::App& sub, Context& ctx) {
  auto v = std::make_shared<Verbs>();
  v->save =
      sub.add_subcommand("save", "Save the stack's data as snapshot NAME (--force replaces one)");
  v->save->add_option("name", v->name, "The snapshot's name: lowercase letters, digits, . _ -")
      ->required();
  v->save->add_flag("--force", v->force, "Replace a snapshot of the same name");
  v->restore = sub.add_subcommand(
      "restore",
      "Bring the stack's data back as snapshot NAME saved it; exit 4 when there is none");
  v->restore->add_option("name", v->name, "The snapshot's name")->required();
  sub.add_subcommand("ls", "List the snapshots: name, size, age, stores (--json)");
  v->rm =
      sub.add_subcommand("rm", "Delete snapshot NAME and its databases; exit 4 when there is none");
  v->rm->add_option("name", v->name, "The snapshot's name")->required();
  v->prepare = sub.add_subcommand(
      "prepare",
      "Make the ready copy the next restore renames in (a restore runs it in the background)");
  v->prepare->add_option("name", v->name, "The snapshot's name")->required();
  v->prepare->group("");
  sub.require_subcommand(1);
  return [&ctx, v]() -> int { return run(ctx, *v); };
}

}  // namespace biodev::cli
