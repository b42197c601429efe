// The seeders' HTTP client: biodev's one client for the stack's own servers.
#pragma once

#include "util/http_client.h"

namespace biodev::seed {

using util::http_request;
using util::HttpError;
using util::HttpHeaders;
using util::HttpRequest;
using util::HttpResponse;

}  // namespace biodev::seed
