#include "snapshot/manifest.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace biodev::snapshot {
namespace {

using nlohmann::json;

template <typename T>
T field(const json& j, const char* name) {
  if (!j.is_object() || !j.contains(name))
    throw std::invalid_argument(std::string("manifest: missing \"") + name + "\"");
  try {
    return j.at(name).get<T>();
  } catch (const json::exception&) {
    throw std::invalid_argument(std::string("manifest: \"") + name + "\" has the wrong type");
  }
}

std::string store_names(const Manifest& m) {
  std::string out;
  for (const auto& s : m.stores) out += (out.empty() ? "" : ", ") + s.store;
  return out.empty() ? "-" : out;
}

void newest_first(std::vector<Manifest>& v) {
  std::stable_sort(v.begin(), v.end(), [](const Manifest& a, const Manifest& b) {
    return a.created != b.created ? a.created > b.created : a.name < b.name;
  });
}

}  // namespace

std::string template_database(const std::string& name) { return "biodev_snap_" + name; }
std::string ready_database(const std::string& name) { return "biodev_snapr_" + name; }
std::string partial_database(const std::string& name) { return "biodev_snapt_" + name; }
std::string set_aside_database(const std::string& tag) { return "biodev_snapold_" + tag; }

std::string name_problem(const std::string& name) {
  if (name.empty()) return "a snapshot name cannot be empty";
  if (name.size() > kMaxNameLength)
    return "snapshot name " + name + " is longer than " + std::to_string(kMaxNameLength) +
           " characters";
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(name[0]))
    return "snapshot name " + name + " must start with a lowercase letter or a digit";
  for (char c : name)
    if (!alnum(c) && c != '.' && c != '_' && c != '-')
      return "snapshot name " + name + " may hold only lowercase letters, digits, '.', '_' and '-'";
  return "";
}

long long Manifest::bytes() const {
  long long n = 0;
  for (const auto& s : stores) n += s.bytes;
  return n;
}

const StoreEntry* Manifest::store(const std::string& name) const {
  for (const auto& s : stores)
    if (s.store == name) return &s;
  return nullptr;
}

json to_json(const Manifest& m) {
  json stores = json::array();
  for (const auto& s : m.stores)
    stores.push_back(
        {{"store", s.store}, {"bytes", s.bytes}, {"items", s.items}, {"detail", s.detail}});
  return {{"format", m.format},        {"name", m.name},
          {"project", m.project},      {"created", utc_text(m.created)},
          {"created_unix", m.created}, {"bytes", m.bytes()},
          {"stores", stores}};
}

Manifest manifest_from_json(const json& j) {
  Manifest m;
  m.format = field<int>(j, "format");
  if (m.format != kManifestFormat)
    throw std::invalid_argument("manifest: format " + std::to_string(m.format) +
                                " is not one this biodev reads (" +
                                std::to_string(kManifestFormat) + ")");
  m.name = field<std::string>(j, "name");
  m.project = field<std::string>(j, "project");
  m.created = field<long long>(j, "created_unix");
  for (const auto& s : field<json>(j, "stores")) {
    StoreEntry e;
    e.store = field<std::string>(s, "store");
    e.bytes = field<long long>(s, "bytes");
    e.items = field<long long>(s, "items");
    e.detail = field<std::string>(s, "detail");
    m.stores.push_back(std::move(e));
  }
  return m;
}

std::string utc_text(long long unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string size_text(long long bytes) {
  if (bytes < 1000) return std::to_string(bytes) + " B";
  static const char* units[] = {"KB", "MB", "GB", "TB"};
  double v = static_cast<double>(bytes);
  int u = -1;
  while (v >= 1000 && u < 3) v /= 1000, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, v < 10 ? "%.2f %s" : v < 100 ? "%.1f %s" : "%.0f %s", v, units[u]);
  return buf;
}

std::string age_text(long long s) {
  if (s < 0) s = 0;
  if (s < 60) return std::to_string(s) + "s";
  if (s < 3600) return std::to_string(s / 60) + "m";
  if (s < 86400) return std::to_string(s / 3600) + "h";
  return std::to_string(s / 86400) + "d";
}

std::vector<std::vector<std::string>> ls_rows(std::vector<Manifest> snapshots, long long now) {
  newest_first(snapshots);
  std::vector<std::vector<std::string>> rows{{"NAME", "SIZE", "AGE", "CREATED", "STORES"}};
  for (const auto& m : snapshots)
    rows.push_back({m.name, size_text(m.bytes()), age_text(now - m.created), utc_text(m.created),
                    store_names(m)});
  return rows;
}

json ls_json(std::vector<Manifest> snapshots, long long now) {
  newest_first(snapshots);
  json out = json::array();
  for (const auto& m : snapshots) {
    json j = to_json(m);
    j["age_s"] = std::max(0LL, now - m.created);
    out.push_back(std::move(j));
  }
  return {{"snapshots", out}};
}

}  // namespace biodev::snapshot
