// Which engine biodev talks to, found the way the docker CLI finds it, and where the
// ports it publishes are reached from this machine.
//
// Precedence (as the docker CLI's): --context, then DOCKER_HOST, then DOCKER_CONTEXT,
// then `currentContext` in $DOCKER_CONFIG/config.json (default ~/.docker), then the
// default socket. With nothing chosen and no Docker socket answering, Podman's rootful
// (/run/podman/podman.sock) then rootless ($XDG_RUNTIME_DIR/podman/podman.sock) socket.
// A context is $DOCKER_CONFIG/contexts/meta/<sha256(name)>/meta.json, its TLS files in
// contexts/tls/<sha256(name)>/docker/{ca,cert,key}.pem.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "docker/transport.h"

namespace biodev::docker {

// Reads a variable ("" when unset); tests pass a map instead of the process environment.
using EnvLookup = std::function<std::string(std::string_view name)>;
EnvLookup process_env();

// Does a unix socket at this path accept a connection? (Injectable for tests.)
using SocketProbe = std::function<bool(const std::string& path)>;
bool unix_socket_answers(const std::string& path);

// The endpoint for `--context` (may be ""). Throws Error(kUnreachable) naming what to fix
// for a context that does not exist, a broken meta.json, or TLS files that are missing
// (DOCKER_TLS_VERIFY without DOCKER_CERT_PATH/ca.pem, a cert without its key).
Endpoint resolve_endpoint(const std::string& context_flag, const EnvLookup& env = process_env(),
                          const SocketProbe& answers = unix_socket_answers);

// Where this machine reaches what the engine publishes: BIODEV_HOST_OVERRIDE when set,
// 127.0.0.1 for an engine on this machine, else the engine's host (DOCKER_HOST's, ssh's).
std::string reach_host(const Endpoint& endpoint, const EnvLookup& env = process_env());

// The address a port the profile binds to loopback is published on instead, so that it
// can be reached at reach_host: "" when no change is needed (the engine is here), the
// reach host when it is an IP address, else 0.0.0.0 (every interface of the engine's host).
std::string remote_publish_ip(const Endpoint& endpoint, const std::string& reach);

// An IPv4 or IPv6 address, not a name.
bool is_ip_address(const std::string& host);

// The address to dial for a port published on host_ip ("", 0.0.0.0 or :: mean every
// interface, reached at reach_host).
std::string reach_address(std::string_view host_ip, const std::string& reach);

}  // namespace biodev::docker
