// Engines that are not a plain socket away: TLS over tcp, and ssh. A Dialer opens a new
// connection to the engine and hands back one end of a local stream socket pair that
// carries the engine's plain HTTP, so the Beast transport treats every engine alike
// (pooled keep-alive connections, deadlines, upgrades for exec) and never sees TLS or ssh.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "docker/transport.h"

namespace biodev::docker {

struct Dialed {
  int fd = -1;  // the local end; the caller owns it
  // Why the connection ended, for an error message ("" when nothing is known); waits
  // briefly for an ssh that is exiting. Empty function when the dialer cannot tell.
  std::function<std::string()> explain;
};

class Dialer {
 public:
  virtual ~Dialer() = default;
  // Throws EngineError(kUnreachable) naming what to fix (a certificate, the ssh login).
  virtual Dialed dial(std::chrono::milliseconds timeout) = 0;
  // Only a completed HTTP exchange proves the connection works (ssh starts "fine" and
  // then exits): the transport pings a new connection before using it.
  virtual bool ping_new_connections() const = 0;
};

// TLS with the endpoint's files (Boost.Asio's SSL stream over OpenSSL): the engine's
// certificate checked against ca.pem and its name or IP, biodev's client certificate
// presented. Throws EngineError(kUnreachable) when a file cannot be used.
std::unique_ptr<Dialer> make_tls_dialer(const Endpoint& endpoint);

// `ssh [-l user] [-p port] host docker system dial-stdio`, as the docker CLI does.
std::unique_ptr<Dialer> make_ssh_dialer(const Endpoint& endpoint);

}  // namespace biodev::docker
