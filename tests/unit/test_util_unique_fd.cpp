// UniqueFd: closes what it owns exactly once, moves ownership, reports close errors.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "util/unique_fd.h"

using namespace biodev;

namespace {
bool is_open(int fd) { return fcntl(fd, F_GETFD) != -1; }
}  // namespace

TEST_CASE("UniqueFd closes its descriptor when it goes") {
  int raw = open("/dev/null", O_RDONLY | O_CLOEXEC);
  REQUIRE(raw >= 0);
  {
    UniqueFd fd(raw);
    CHECK(fd.valid());
    CHECK(fd.get() == raw);
  }
  CHECK_FALSE(is_open(raw));
}

TEST_CASE("UniqueFd moves ownership; the moved-from one owns nothing") {
  int raw = open("/dev/null", O_RDONLY | O_CLOEXEC);
  UniqueFd a(raw);
  UniqueFd b(std::move(a));
  CHECK_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): the moved-from state is the point
  CHECK(b.get() == raw);
  UniqueFd c;
  c = std::move(b);
  CHECK(c.get() == raw);
  CHECK(is_open(raw));
  c = UniqueFd();  // assigning over an owner closes what it held
  CHECK_FALSE(is_open(raw));
}

TEST_CASE("UniqueFd release hands the descriptor on; reset replaces it") {
  int raw = open("/dev/null", O_RDONLY | O_CLOEXEC);
  UniqueFd fd(raw);
  CHECK(fd.release() == raw);
  CHECK_FALSE(fd);
  CHECK(is_open(raw));
  int other = open("/dev/null", O_RDONLY | O_CLOEXEC);
  fd.reset(raw);
  fd.reset(other);
  CHECK_FALSE(is_open(raw));
  CHECK(is_open(other));
}

TEST_CASE("UniqueFd::close reports close(2) and leaves nothing owned") {
  UniqueFd none;
  CHECK(none.close() == 0);
  int raw = open("/dev/null", O_RDONLY | O_CLOEXEC);
  UniqueFd fd(raw);
  CHECK(fd.close() == 0);
  CHECK_FALSE(fd.valid());
  CHECK_FALSE(is_open(raw));
  UniqueFd bad(1 << 20);  // not an open descriptor: close fails with EBADF
  CHECK(bad.close() == -1);
  CHECK(errno == EBADF);
}
