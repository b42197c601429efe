#pragma once
// Profiles and compose files of tests/plan/, loaded as project "p" with no variables set.
#include <string>

#include "profile/compose_loader.h"
#include "profile/loader.h"

inline biodev::profile::Profile plan_profile(const std::string& file) {
  biodev::profile::LoadOptions o;
  o.profile = file;
  o.project_dir = BIODEV_TEST_DATA "/plan";
  o.project = "p";
  o.vars = biodev::profile::Variables([](const std::string&) { return std::nullopt; });
  return biodev::profile::load_profile(o);
}

// A compose file of tests/plan/, loaded the same way.
inline biodev::profile::Profile plan_compose(const std::string& file) {
  biodev::profile::ComposeOptions o;
  o.files = {BIODEV_TEST_DATA "/plan/" + file};
  o.project = "p";
  o.vars = biodev::profile::Variables([](const std::string&) { return std::nullopt; });
  return biodev::profile::load_compose(o);
}
