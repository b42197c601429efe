// An image's Config (GET /images/{name}/json, "Config") as biodev's Dockerfile assembler
// edits it, instruction by instruction, the way the classic builder does. The keys it
// names are typed here; every other key (Healthcheck, ArgsEscaped, OnBuild, ...) is kept
// as the engine gave it, so a committed image keeps what its base had.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace biodev::docker {

class ImageConfig {
 public:
  ImageConfig() = default;
  explicit ImageConfig(nlohmann::json doc);  // the engine's document; not an object: empty

  std::vector<std::string> env() const;  // "KEY=value", in order
  void set_env(const std::string& key,
               const std::string& value);  // replaces KEY's entry, else appends
  std::map<std::string, std::string> labels() const;
  void set_label(const std::string& key, const std::string& value);
  std::string working_dir() const;
  void set_working_dir(const std::string& dir);
  std::string user() const;
  void set_user(const std::string& user);
  std::set<std::string> exposed_ports() const;  // "8000/tcp"
  void expose(const std::string& port_and_protocol);
  std::set<std::string> volumes() const;
  void add_volume(const std::string& path);
  std::string stop_signal() const;
  void set_stop_signal(const std::string& signal);
  std::vector<std::string> shell() const;  // SHELL of the base; empty: /bin/sh -c
  // nullopt: none (null or unset); the engine would fill an unset Cmd from the base.
  std::optional<std::vector<std::string>> cmd() const;
  void set_cmd(std::optional<std::vector<std::string>> cmd);
  std::optional<std::vector<std::string>> entrypoint() const;
  void set_entrypoint(std::vector<std::string> entrypoint);

  // POST /containers/create body of a container of `base_id` with this config and
  // `labels` added, to commit as the new image: no Hostname, Domainname or OnBuild of the
  // base, and a Cmd the Dockerfile left empty sent as [] so the engine keeps it empty.
  nlohmann::json commit_body(const std::string& base_id,
                             const std::map<std::string, std::string>& labels) const;

 private:
  nlohmann::json& object(const char* key);
  nlohmann::json doc_ = nlohmann::json::object();
};

}  // namespace biodev::docker
