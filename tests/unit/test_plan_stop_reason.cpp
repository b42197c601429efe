// What a stopped service's container says about why it stopped.
#include <doctest/doctest.h>

#include "plan/stop_reason.h"

using namespace biodev;
using namespace biodev::plan;

namespace {
// The reason from an inspect document as the engine sends it.
std::string reason(const nlohmann::json& inspect, const profile::Service* s) {
  return stop_reason(docker::decode_container_info(inspect), s);
}
}  // namespace

TEST_CASE("a container that exited by itself says its exit code") {
  auto info = nlohmann::json::parse(R"({"State": {"Status": "exited", "ExitCode": 1, "OOMKilled": false}})");
  CHECK(reason(info, nullptr) == "exited with code 1");
  CHECK(reason(nlohmann::json::object(), nullptr) == "exited with code -1");
}

TEST_CASE("a container the OOM killer ended names its memory limit and its pool") {
  auto info = nlohmann::json::parse(R"({"State": {"Status": "exited", "ExitCode": 137, "OOMKilled": true},
                                        "HostConfig": {"Memory": 268435456}})");
  profile::Service redis;
  redis.name = "redis";
  redis.pool = "memory";
  CHECK(reason(info, &redis) ==
        "was killed by the kernel's OOM killer (out of memory) at its memory limit of 256 MiB (pool memory): "
        "it needs more; raise the memory of pool memory (or the service's resources.memory) in the profile");
  redis.pool.clear();
  CHECK(reason(info, &redis) ==
        "was killed by the kernel's OOM killer (out of memory) at its memory limit of 256 MiB: it needs more; "
        "raise its resources.memory in the profile");
  info["HostConfig"]["Memory"] = 0;
  CHECK(reason(info, nullptr) ==
        "exited with code 137: the kernel's OOM killer ended it (the machine ran out of memory; it has no memory "
        "limit)");
}

TEST_CASE("memory sizes read as the profile writes them") {
  CHECK(memory_size(268435456) == "256 MiB");
  CHECK(memory_size(1610612736) == "1.5 GiB");
  CHECK(memory_size(512 * 1024) == "512 KiB");
  CHECK(memory_size(100) == "100 B");
}

TEST_CASE("a data folder on a full disk is named, one with room is not") {
  profile::Service db;
  db.name = "db";
  profile::MountSpec data;
  data.type = profile::MountSpec::Type::kBind;
  data.data = true;
  data.source = "/tmp";  // this machine's /tmp has more than 16 MiB left
  db.mounts.push_back(data);
  CHECK(full_disk_hint(db) == "");
  // /proc reports no free blocks at all: as full as a disk gets.
  db.mounts.front().source = "/proc";
  CHECK(full_disk_hint(db) == "; the disk holding /proc is full (0 B free): free space there, then `biodev up` again");
  db.mounts.front().data = false;  // only data folders: a source mount is the developer's
  CHECK(full_disk_hint(db) == "");
}
