#include "snapshot/snapshot.h"

#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "snapshot/stores.h"
#include "util/error.h"
#include "util/parallel.h"

namespace biodev::snapshot {
namespace fs = std::filesystem;
namespace {

using Parts = std::vector<std::function<void()>>;

// Runs every part at once (the stores are separate servers); the first failure is
// rethrown once all have ended.
void run_parts(const Parts& parts) {
  parallel_for(parts.size(), [&parts](size_t i) { parts[i](); });
}

void check_name(const std::string& name) {
  if (std::string why = name_problem(name); !why.empty()) throw UsageError(why);
}

std::string folder_of(const std::string& project_dir, const std::string& name) {
  return snapshots_dir(project_dir) + "/" + name;
}

// The parts of a save; each fills its entry, so the manifest keeps the stores' order.
Parts save_parts(const Stores& s, const std::string& name, const std::string& dir,
                 std::vector<StoreEntry>& entries) {
  Parts parts;
  auto add = [&](std::function<StoreEntry()> f) {
    size_t i = entries.size();
    entries.emplace_back();
    parts.push_back([&entries, i, f] { entries[i] = f(); });
  };
  if (s.postgres) add([&s, name] { return postgres_save(*s.postgres, name); });
  if (s.redis) add([&s, dir] { return redis_save(*s.redis, dir); });
  if (s.s3) add([&s, dir] { return s3_save(*s.s3, dir); });
  if (s.qdrant) add([&s, dir] { return qdrant_save(*s.qdrant, dir); });
  return parts;
}

// Nothing of a failed save stays: its folder and its partial database go.
void discard(const Stores& s, const std::string& name, const std::string& partial) {
  std::error_code ec;
  fs::remove_all(partial, ec);
  if (!s.postgres) return;
  try {
    postgres_abort(*s.postgres, name);
  } catch (const std::exception&) {
    // The save's own failure is the one to report.
  }
}

}  // namespace

void write_file(const std::string& path, const std::string& data) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  out.close();
  if (!out) throw store::StoreFailure("cannot write " + path);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw store::StoreFailure("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string snapshots_dir(const std::string& project_dir) { return project_dir + "/" + kFolder; }

std::vector<Manifest> list(const std::string& project_dir) {
  std::vector<Manifest> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(snapshots_dir(project_dir), ec)) {
    std::string name = e.path().filename();
    if (name.starts_with(".") || !e.is_directory()) continue;
    try {
      auto j = nlohmann::json::parse(read_file(e.path() / kManifestFile));
      out.push_back(manifest_from_json(j));
    } catch (const std::exception&) {
      // No manifest (or one that does not read): not a snapshot.
    }
  }
  std::sort(out.begin(), out.end(),
            [](const Manifest& a, const Manifest& b) { return a.name < b.name; });
  return out;
}

Manifest find(const std::string& project_dir, const std::string& name) {
  check_name(name);
  auto all = list(project_dir);
  for (const auto& m : all)
    if (m.name == name) return m;
  std::string there;
  for (const auto& m : all) there += (there.empty() ? "" : ", ") + m.name;
  throw Error(ExitCode::kNotFound,
              "no snapshot " + name + " in " + snapshots_dir(project_dir) +
                  (there.empty() ? " (there are none)" : " (there are: " + there + ")"));
}

Outcome save(const Stores& s, const std::string& project_dir, const std::string& project,
             const std::string& name, bool force) {
  check_name(name);
  const std::string folder = folder_of(project_dir, name);
  if (fs::exists(folder + "/" + kManifestFile) && !force)
    throw Error(ExitCode::kFailed, "snapshot " + name + " exists: `biodev snapshot save --force " +
                                       name + "` replaces it");
  if (!s.postgres && !s.redis && !s.s3 && !s.qdrant)
    throw Error(ExitCode::kFailed,
                "the stack has no data store to snapshot (Postgres, Redis, S3, Qdrant)");
  const std::string partial =
      snapshots_dir(project_dir) + "/.partial-" + name + "-" + std::to_string(getpid());
  Outcome out;
  out.manifest.name = name;
  out.manifest.project = project;
  out.manifest.created = std::time(nullptr);
  try {
    fs::remove_all(partial);
    fs::create_directories(partial);
    run_parts(save_parts(s, name, partial, out.manifest.stores));
    write_file(partial + "/" + kManifestFile, to_json(out.manifest).dump(2) + "\n");
    if (s.postgres) postgres_commit(*s.postgres, name);
    fs::remove_all(folder);
    fs::rename(partial, folder);
  } catch (const std::exception& e) {
    discard(s, name, partial);
    throw Error(ExitCode::kFailed, "snapshot " + name + " not saved: " + e.what());
  }
  return out;
}

Outcome restore(const Stores& s, const std::string& project_dir, const std::string& name) {
  Outcome out;
  out.manifest = find(project_dir, name);
  const std::string dir = folder_of(project_dir, name);
  Parts parts;
  for (const auto& e : out.manifest.stores) {
    if (e.store == "postgres" && s.postgres)
      parts.push_back([&s, name] { postgres_restore(*s.postgres, name); });
    else if (e.store == "redis" && s.redis)
      parts.push_back([&s, dir] { redis_restore(*s.redis, dir); });
    else if (e.store == "s3" && s.s3)
      parts.push_back([&s, dir] { s3_restore(*s.s3, dir); });
    else if (e.store == "qdrant" && s.qdrant)
      parts.push_back([&s, dir] { qdrant_restore(*s.qdrant, dir); });
    else
      out.warnings.push_back("the stack has no " + e.store + " store now: its part of snapshot " +
                             name + " was not restored");
  }
  try {
    run_parts(parts);
  } catch (const std::exception& e) {
    throw Error(ExitCode::kFailed, "snapshot " + name + " not fully restored: " + e.what());
  }
  return out;
}

void prepare(const Stores& s, const std::string& name) {
  if (s.postgres) postgres_prepare(*s.postgres, name);
}

Outcome remove(const Stores* s, const std::string& project_dir, const std::string& name) {
  Outcome out;
  out.manifest = find(project_dir, name);
  if (out.manifest.store("postgres")) {
    try {
      if (!s || !s->postgres) throw store::StoreFailure("the stack's Postgres is not running");
      postgres_drop(*s->postgres, name);
    } catch (const std::exception& e) {
      out.warnings.push_back(std::string("databases ") + template_database(name) + " and " +
                             ready_database(name) + " kept: " + e.what() +
                             " (`down -v` deletes them with the data)");
    }
  }
  fs::remove_all(folder_of(project_dir, name));
  return out;
}

}  // namespace biodev::snapshot
