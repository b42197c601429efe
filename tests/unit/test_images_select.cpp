// Choosing every service's image against a scripted engine: how a failure in one of the
// parallel lookups reaches the exit code.
#include <doctest/doctest.h>

#include "fake_transport.h"
#include "images/select.h"
#include "util/error.h"

using namespace biodev;
using docker::testing::FakeTransport;

namespace {

struct Quiet : progress::Reporter {
  void event(const progress::Event&) override {}
  void message(progress::Level, const std::string&) override {}
  void finish() override {}
};

profile::Profile one_service(const std::string& image) {
  profile::Profile p;
  p.project = "shop";
  profile::Service s;
  s.name = "cache";
  s.image = image;
  p.services.push_back(s);
  return p;
}

ExitCode code_of(FakeTransport& t, const profile::Profile& p) {
  docker::Client client(std::shared_ptr<FakeTransport>(&t, [](FakeTransport*) {}));
  Quiet rep;
  try {
    images::ensure_images(client, p, {}, rep);
  } catch (const Error& e) {
    return e.code();
  }
  FAIL("no error");
  return ExitCode::kOk;
}

}  // namespace

TEST_CASE("an engine that cannot be reached during the image lookups is exit 3, whatever the wording") {
  FakeTransport t;
  t.reply(0);
  CHECK(code_of(t, one_service("redis:7")) == ExitCode::kUnreachable);
}

TEST_CASE("an image the engine refuses is exit 1") {
  FakeTransport t;
  t.reply(500, R"({"message":"layer store corrupt"})");
  CHECK(code_of(t, one_service("redis:7")) == ExitCode::kFailed);
}
