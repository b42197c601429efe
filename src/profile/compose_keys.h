// Service keys that are one string, one list of strings or one flag in both a compose
// file and the model: the reader (compose_service.cpp) and the printer
// (print_compose.cpp) walk the same tables, so the two cannot drift apart.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "profile/model.h"

namespace biodev::profile {

inline const std::pair<const char*, std::string Service::*> kComposeStringKeys[] = {
    {"user", &Service::user},           {"working_dir", &Service::working_dir},
    {"container_name", &Service::container_name}, {"hostname", &Service::hostname},
    {"stop_signal", &Service::stop_signal}, {"platform", &Service::platform},
    {"network_mode", &Service::network_mode}, {"ipc", &Service::ipc},
    {"pid", &Service::pid}};

inline const std::pair<const char*, std::vector<std::string> Service::*> kComposeListKeys[] = {
    {"cap_add", &Service::cap_add},   {"cap_drop", &Service::cap_drop},
    {"security_opt", &Service::security_opt}, {"dns", &Service::dns},
    {"group_add", &Service::group_add}, {"devices", &Service::devices},
    {"profiles", &Service::profiles}};

// `init` is not here: its default differs between the two readers.
inline const std::pair<const char*, bool Service::*> kComposeFlagKeys[] = {
    {"privileged", &Service::privileged}, {"read_only", &Service::read_only_rootfs},
    {"tty", &Service::tty}, {"stdin_open", &Service::stdin_open}};

}  // namespace biodev::profile
