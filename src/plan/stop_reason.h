// Why a service's container is not running, said so the developer knows what to change.
#pragma once

#include <string>

#include "docker/container_info.h"
#include "profile/model.h"

namespace biodev::plan {

// From the container's inspect: "exited with code 1"; or, when the kernel's
// OOM killer ended it (State.OOMKilled), "was killed by the kernel's OOM killer at its
// memory limit of 256 MiB (pool memory): raise ..." naming the pool the limit comes from
// when `service` (the profile's view of it, may be null) has one.
std::string stop_reason(const docker::ContainerInfo& info, const profile::Service* service);

// "; the disk holding /work/.data/postgres is full (0 B free): free space there, then
// `biodev up` again" for the first data folder (a bind mount under .data/) of `service`
// whose file system has less than 16 MiB left; "" when none is that full. A service
// that cannot write its data fails in its own words; this names the folder.
std::string full_disk_hint(const profile::Service& service);

// "256 MiB", "1.5 GiB", "512 KiB".
std::string memory_size(long long bytes);

}  // namespace biodev::plan
