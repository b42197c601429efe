#include "docker/image_config.h"

#include <utility>

namespace biodev::docker {
namespace {

using nlohmann::json;

std::optional<std::vector<std::string>> string_array(const json& doc, const char* key) {
  auto it = doc.find(key);
  if (it == doc.end() || !it->is_array()) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& e : *it)
    if (e.is_string()) out.push_back(e.get<std::string>());
  return out;
}

std::string string_of(const json& doc, const char* key) {
  auto it = doc.find(key);
  return it != doc.end() && it->is_string() ? it->get<std::string>() : "";
}

std::set<std::string> keys_of(const json& doc, const char* key) {
  std::set<std::string> out;
  auto it = doc.find(key);
  if (it != doc.end() && it->is_object())
    for (const auto& [k, v] : it->items()) out.insert(k);
  return out;
}

}  // namespace

ImageConfig::ImageConfig(json doc) : doc_(doc.is_object() ? std::move(doc) : json::object()) {}

json& ImageConfig::object(const char* key) {
  if (!doc_[key].is_object()) doc_[key] = json::object();
  return doc_[key];
}

std::vector<std::string> ImageConfig::env() const {
  return string_array(doc_, "Env").value_or(std::vector<std::string>{});
}

void ImageConfig::set_env(const std::string& key, const std::string& value) {
  json& env = doc_["Env"];
  if (!env.is_array()) env = json::array();
  for (auto& e : env)
    if (e.is_string() && e.get<std::string>().starts_with(key + "=")) {
      e = key + "=" + value;
      return;
    }
  env.push_back(key + "=" + value);
}

std::map<std::string, std::string> ImageConfig::labels() const {
  std::map<std::string, std::string> out;
  auto it = doc_.find("Labels");
  if (it != doc_.end() && it->is_object())
    for (const auto& [k, v] : it->items())
      if (v.is_string()) out[k] = v.get<std::string>();
  return out;
}

void ImageConfig::set_label(const std::string& key, const std::string& value) {
  object("Labels")[key] = value;
}
std::string ImageConfig::working_dir() const { return string_of(doc_, "WorkingDir"); }
void ImageConfig::set_working_dir(const std::string& dir) { doc_["WorkingDir"] = dir; }
std::string ImageConfig::user() const { return string_of(doc_, "User"); }
void ImageConfig::set_user(const std::string& user) { doc_["User"] = user; }
std::set<std::string> ImageConfig::exposed_ports() const { return keys_of(doc_, "ExposedPorts"); }
void ImageConfig::expose(const std::string& port) { object("ExposedPorts")[port] = json::object(); }
std::set<std::string> ImageConfig::volumes() const { return keys_of(doc_, "Volumes"); }
void ImageConfig::add_volume(const std::string& path) { object("Volumes")[path] = json::object(); }
std::string ImageConfig::stop_signal() const { return string_of(doc_, "StopSignal"); }
void ImageConfig::set_stop_signal(const std::string& signal) { doc_["StopSignal"] = signal; }
std::vector<std::string> ImageConfig::shell() const {
  return string_array(doc_, "Shell").value_or(std::vector<std::string>{});
}
std::optional<std::vector<std::string>> ImageConfig::cmd() const {
  return string_array(doc_, "Cmd");
}

void ImageConfig::set_cmd(std::optional<std::vector<std::string>> cmd) {
  doc_["Cmd"] = cmd ? json(*cmd) : json(nullptr);
}

std::optional<std::vector<std::string>> ImageConfig::entrypoint() const {
  return string_array(doc_, "Entrypoint");
}
void ImageConfig::set_entrypoint(std::vector<std::string> entrypoint) {
  doc_["Entrypoint"] = std::move(entrypoint);
}

json ImageConfig::commit_body(const std::string& base_id,
                              const std::map<std::string, std::string>& labels) const {
  json body = doc_;
  for (const char* key : {"Hostname", "Domainname", "Image", "OnBuild"}) body.erase(key);
  body["Image"] = base_id;
  if (!body["Labels"].is_object()) body["Labels"] = json::object();
  for (const auto& [k, v] : labels) body["Labels"][k] = v;
  if (body["Cmd"].is_null()) body["Cmd"] = json::array();
  return body;
}

}  // namespace biodev::docker
