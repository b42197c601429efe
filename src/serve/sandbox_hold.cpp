#include "serve/sandbox_hold.h"

#include <pthread.h>
#include <signal.h>

namespace biodev::serve {

int hold_sandbox() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  // Blocked signals reach PID 1 too (the kernel drops only unblocked default ones).
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  int sig = 0;
  while (sigwait(&set, &sig) != 0) {
  }
  return 0;
}

}  // namespace biodev::serve
