// `biodev serve sandbox`: the process of a shared network sandbox (plan/sandbox.h). It
// only keeps the namespace alive for the members that join it, and exits 0 on SIGTERM,
// SIGINT or SIGHUP. As PID 1 it needs no init: the signals are waited for, not handled.
#pragma once

namespace biodev::serve {

int hold_sandbox();

}  // namespace biodev::serve
