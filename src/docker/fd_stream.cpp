#include "docker/fd_stream.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "docker/errors.h"
#include "util/unique_fd.h"

namespace biodev::docker {

namespace {

[[noreturn]] void io_failure(const char* what, int err) {
  throw EngineError(ErrorKind::kUnreachable, 0,
                    fmt::format("lost the attached connection to the Docker engine ({}: {})", what,
                                std::strerror(err)));
}

class FdStream final : public RawStream {
 public:
  FdStream(int fd, std::string buffered) : fd_(fd), buffered_(std::move(buffered)) {
    // Asio leaves the descriptor non-blocking; this stream's contract is blocking I/O.
    int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  }

  size_t read_some(char* buf, size_t len) override {
    if (offset_ < buffered_.size()) {
      size_t n = std::min(len, buffered_.size() - offset_);
      std::memcpy(buf, buffered_.data() + offset_, n);
      offset_ += n;
      return n;
    }
    while (true) {
      ssize_t n = ::read(fd_.get(), buf, len);
      if (n >= 0) return static_cast<size_t>(n);
      if (errno == EINTR) continue;
      // A reset after the process exited is how some engines end the stream.
      if (errno == ECONNRESET) return 0;
      io_failure("read", errno);
    }
  }

  void write_all(std::string_view data) override {
    while (!data.empty()) {
      // MSG_NOSIGNAL: a peer that went away must be an error here, not a SIGPIPE.
      ssize_t n = ::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        io_failure("write", errno);
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
  }

  void shutdown_write() override { ::shutdown(fd_.get(), SHUT_WR); }
  int native_handle() override { return fd_.get(); }

 private:
  UniqueFd fd_;
  std::string buffered_;
  size_t offset_ = 0;
};

}  // namespace

std::unique_ptr<RawStream> make_fd_stream(int fd, std::string buffered) {
  return std::make_unique<FdStream>(fd, std::move(buffered));
}

}  // namespace biodev::docker
