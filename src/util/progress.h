// What long operations report while they work: the interface the planner, the seeders
// and the image builders report through, rendered by src/ui/ (live lines on a TTY,
// plain lines, JSON lines). Kept here, below every layer, so that plan/, seed/ and
// images/ depend on the interface and never on the terminal code.
#pragma once

#include <string>

namespace biodev::progress {

enum class Level { kInfo, kWarn, kError };

// A service (or image, network...) changing state. `state` is a short verb phrase:
// pulling, building, creating, starting, waiting, ready, seeding, seeded, stopping,
// removed, failed, kept...
struct Event {
  std::string subject;  // "postgres", "image biodev/postgres:15", "network bio_net"
  std::string state;
  std::string detail;
  double seconds = -1;  // elapsed for this subject, when known
  long long current = 0, total = 0;  // progress (bytes, steps) when known
  bool error = false;
};

// Thread-safe in every implementation: the executor reports from many threads.
class Reporter {
 public:
  virtual ~Reporter() = default;
  virtual void event(const Event& e) = 0;
  virtual void message(Level level, const std::string& text) = 0;
  // Ends live rendering (the TTY view leaves its final lines on screen).
  virtual void finish() = 0;
};

}  // namespace biodev::progress
