// A RawStream over a connected socket descriptor: what an upgraded (hijacked) HTTP
// connection becomes. Plain blocking POSIX I/O: the caller decides how long to wait
// (poll() on native_handle(), or a dedicated thread).
#pragma once

#include <memory>
#include <string>

#include "docker/transport.h"

namespace biodev::docker {

// Takes ownership of `fd` (closed on destruction) and switches it to blocking mode.
// `buffered` holds bytes the HTTP layer already read past the response headers; they
// are returned by read_some() before anything is read from the socket.
std::unique_ptr<RawStream> make_fd_stream(int fd, std::string buffered);

}  // namespace biodev::docker
