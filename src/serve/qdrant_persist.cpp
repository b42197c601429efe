#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "serve/f32_base64.h"
#include "serve/qdrant_snapshots.h"
#include "serve/qdrant_store.h"
#include "util/error.h"
#include "util/unique_fd.h"

// The stand-in's state file: one JSON document, vectors as base64 float32 so values
// round-trip exactly and the file stays compact.
namespace biodev::serve {

using json = nlohmann::json;

// tmp + fsync + rename + fsync(dir): a crash leaves the old state or the new one,
// never a torn file.
void write_file_atomically(const std::string& path, const std::string& data) {
  auto fail = [&](const char* what) {
    throw QdrantError(500, std::string("Service internal error: cannot ") + what + " " + path +
                               ": " + std::strerror(errno));
  };
  std::filesystem::path target(path);
  std::error_code ec;
  std::filesystem::create_directories(target.parent_path(), ec);
  std::string tmp = path + ".tmp";
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) fail("create");
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd.get(), data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("write");
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) != 0 || fd.close() != 0) fail("sync");
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail("replace");
  if (UniqueFd dir(::open(target.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)); dir)
    ::fsync(dir.get());
}

json collection_to_json(const QdrantCollection& c) {
  json points = json::array();
  for (const auto& [key, p] : c.points)
    points.push_back({{"id", p.id},
                      {"vector_f32le_b64", encode_f32le_base64(p.vector)},
                      {"payload", p.payload},
                      {"version", p.version}});
  return {{"size", c.size},
          {"distance", distance_name(c.distance)},
          {"payload_schema", c.payload_schema},
          {"points", points}};
}

QdrantCollection collection_from_json(const json& j) {
  QdrantCollection c;
  c.size = j.at("size").get<int>();
  c.distance = parse_distance(j.at("distance"));
  for (const auto& pj : j.at("points")) {
    const std::string& vector = pj.at("vector_f32le_b64").get_ref<const std::string&>();
    QdrantPoint p{pj.at("id"),
                  vector.empty() ? std::vector<float>()  // its vector was deleted
                                 : decode_f32le_base64(vector, static_cast<size_t>(c.size)),
                  pj.value("payload", json::object()), pj.value("version", 0ull)};
    c.points.emplace(point_key(p.id), std::move(p));
  }
  json schema = j.value("payload_schema", json::object());  // absent in older files
  for (const auto& [field, type] : schema.items()) c.payload_schema[field] = type;
  return c;
}

void QdrantStore::load() {
  if (dir_.empty()) return;
  std::ifstream in(state_path());
  if (!in) return;  // first start
  std::stringstream text;
  text << in.rdbuf();
  std::unique_lock lock(mu_);
  try {
    json state = json::parse(text.str());
    operation_id_ = state.value("operation_id", 0ull);
    collections_.clear();
    for (const auto& [name, cj] : state.at("collections").items())
      collections_.emplace(name, collection_from_json(cj));
    aliases_ = state.value("aliases", std::map<std::string, std::string>());
  } catch (const std::exception& e) {
    throw Error(ExitCode::kFailed, "cannot load " + state_path() + ": " + e.what());
  }
}

void QdrantStore::persist() const {
  if (dir_.empty()) return;
  json cols = json::object();
  for (const auto& [name, c] : collections_) cols[name] = collection_to_json(c);
  json state = {{"format", "biodev qdrant stand-in state"},
                {"operation_id", operation_id_},
                {"collections", cols},
                {"aliases", aliases_}};
  write_file_atomically(state_path(), state.dump());
}

}  // namespace biodev::serve
