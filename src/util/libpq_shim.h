// libpq, loaded when first used. Linked at start, libpq and the 20 libraries it pulls in
// (Kerberos, LDAP, GnuTLS, ...) cost every biodev command about 14 ms before main(),
// most of a warm `up`, although only Postgres probes and seeds call it. libpq_shim.cpp
// defines libpq's functions that biodev calls, each forwarding to the library opened
// with dlopen on the first call; code keeps including <libpq-fe.h> and calling them.
#pragma once

#include <string>

namespace biodev {

// Opens libpq now if it is not open yet; throws Error when it is missing.
void libpq_load();

// The file the dynamic loader found for libpq.so.5 (opening it if not yet open), for
// biodev/runtime, which must carry it and what it needs. Throws Error when it is missing.
std::string libpq_path();

}  // namespace biodev
