// Reading the engine's events for stops that a killed command sent: which containers
// of the project were stopped through the engine since they last started, and which not.
#include <doctest/doctest.h>

#include "fake_transport.h"
#include "plan/settle.h"

using namespace biodev;
using namespace biodev::plan;
using biodev::docker::testing::FakeTransport;

namespace {

std::string kill_event(const std::string& id, const std::string& signal, long long time_ns) {
  return R"({"status":"kill","id":")" + id + R"(","Type":"container","Action":"kill","Actor":{"ID":")" + id +
         R"(","Attributes":{"signal":")" + signal + R"("}},"time":)" + std::to_string(time_ns / 1'000'000'000) +
         R"(,"timeNano":)" + std::to_string(time_ns) + "}\n";
}

std::string start_event(const std::string& id, long long time_ns) {
  return R"({"status":"start","id":")" + id + R"(","Type":"container","Action":"start","Actor":{"ID":")" + id +
         R"(","Attributes":{}},"time":)" + std::to_string(time_ns / 1'000'000'000) + R"(,"timeNano":)" +
         std::to_string(time_ns) + "}\n";
}

constexpr long long kT = 1796175000500000000LL;  // 2026-12-02T01:30:00.5Z
std::chrono::system_clock::time_point at(long long ns) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(ns)));
}
const auto kBefore = at(kT - 1'000'000'000);  // up began before all of these
const auto kAfter = at(kT + 1'000'000'000);   // ... after all of these

}  // namespace

TEST_CASE("a stop's signal after a container's last start names it stopped through the engine") {
  auto fake = std::make_shared<FakeTransport>();
  docker::Client client{fake};
  const std::string events = start_event("c1", kT) + kill_event("c1", "15", kT + 1) +  // stopped
                             kill_event("c2", "9", kT + 2) +                          // killed, no start seen
                             kill_event("c3", "15", kT + 3) + start_event("c3", kT + 4) +  // started again after
                             start_event("c4", kT) + kill_event("c4", "1", kT + 5) +       // SIGHUP: a reload
                             kill_event("c5", "15", kT + 6);                               // not asked about
  fake->reply(200, events);
  CHECK(stopped_through_engine(client, "p", {"c1", "c2", "c3", "c4"}, kAfter) == std::set<std::string>{"c1", "c2"});
  // Since up began, c3 was stopped and started again (an engine-side restart): it counts.
  fake->reply(200, events);
  CHECK(stopped_through_engine(client, "p", {"c1", "c2", "c3", "c4"}, kBefore) ==
        std::set<std::string>{"c1", "c2", "c3"});
  const std::string& target = fake->last().target;
  CHECK(target.find("/events?since=") != std::string::npos);
  CHECK(target.find("%22kill%22") != std::string::npos);
  CHECK(target.find("dev.biodev.project%3Dp") != std::string::npos);
}

TEST_CASE("a crash or the OOM killer (no kill event), or no events at all, names nothing") {
  auto fake = std::make_shared<FakeTransport>();
  docker::Client client{fake};
  fake->reply(200, start_event("c1", kT));
  CHECK(stopped_through_engine(client, "p", {"c1"}, kBefore).empty());
  fake->reply(500, R"({"message":"boom"})");
  CHECK(stopped_through_engine(client, "p", {"c1"}, kBefore).empty());
  size_t asked = fake->requests.size();
  CHECK(stopped_through_engine(client, "p", {}, kBefore).empty());  // nothing to ask about
  CHECK(fake->requests.size() == asked);
}
