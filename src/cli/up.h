// The up, restart and run verbs' side of `up`: a Stack from the command line, the
// result printed, the exit code (stack/up.h does the work).
#pragma once

#include "cli/context.h"
#include "stack/up.h"

namespace biodev::cli {

using stack::ServiceOutcome;
using stack::UpRequest;
using stack::UpResult;
using stack::with_dependencies;

stack::Stack stack_of(Context& ctx);

inline void configure_up_request(Context& ctx, UpRequest& req, bool reseed = false) {
  stack::configure_up_request(stack_of(ctx), req, reseed);
}
inline UpResult bring_up(Context& ctx, const UpRequest& req) { return stack::bring_up(stack_of(ctx), req); }
void print_up_result(Context& ctx, const UpResult& r);
int up_exit_code(const UpResult& r);

}  // namespace biodev::cli
