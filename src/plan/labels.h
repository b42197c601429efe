// The labels biodev puts on everything it creates. biodev only ever lists, changes or
// removes objects carrying dev.biodev.project=<project>.
#pragma once

namespace biodev::labels {

inline constexpr const char* kProject = "dev.biodev.project";
inline constexpr const char* kService = "dev.biodev.service";
inline constexpr const char* kConfigHash = "dev.biodev.config-hash";
inline constexpr const char* kVariant = "dev.biodev.variant";    // upstream | offline
inline constexpr const char* kProfile = "dev.biodev.profile";
inline constexpr const char* kReady = "dev.biodev.ready";        // probe spec as JSON
inline constexpr const char* kRequired = "dev.biodev.required";  // "true" | "false"
inline constexpr const char* kStandIn = "dev.biodev.stand-in";   // what a stand-in replaces
inline constexpr const char* kSubstituteFor = "dev.biodev.substitute-for";  // upstream image substituted
inline constexpr const char* kNetwork = "dev.biodev.network";    // profile network name
inline constexpr const char* kVolume = "dev.biodev.volume";      // profile volume name
inline constexpr const char* kVersion = "dev.biodev.version";
// "true": biodev-init runs the service's command and `biodev watch` restarts it in place.
inline constexpr const char* kInPlaceRestart = "dev.biodev.in-place-restart";
inline constexpr const char* kReaper = "dev.biodev.reaper";      // the run reaper container
// Shared network sandboxes (plan/sandbox.h): on a member, the dev.biodev.service of the
// sandbox it joins and its own container ports ("5432/tcp,..."); on a sandbox, its
// members ("postgres,redis").
inline constexpr const char* kSandbox = "dev.biodev.sandbox";
inline constexpr const char* kSandboxPorts = "dev.biodev.sandbox-ports";
inline constexpr const char* kSandboxMembers = "dev.biodev.sandbox-members";

}  // namespace biodev::labels
