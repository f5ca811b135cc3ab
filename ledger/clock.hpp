// The one source of "now" (UTC wall time) for the write path: a user's created_at, a transaction's timestamp
// when the client gave none, and the bound on timestamps in the future. Injected, so tests can set it.
// Durations (HTTP timeouts, actor idle timers, snapshot intervals) are measured on monotonic clocks instead:
// they must not jump when the wall clock does, and tests shorten them through their settings.
#pragma once

#include <atomic>

#include "ledger/utc_time.hpp"

namespace tally {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual UtcMicros now_micros() const = 0;  // any thread
};

// The system's real-time clock (utc_now_micros).
class SystemClock final : public Clock {
 public:
  UtcMicros now_micros() const override { return utc_now_micros(); }
};

inline const Clock& system_clock() {
  static const SystemClock clock;
  return clock;
}

// A clock that stands still until told: for tests. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(UtcMicros now) : now_(now) {}
  UtcMicros now_micros() const override { return now_.load(std::memory_order_relaxed); }
  void set(UtcMicros now) { now_.store(now, std::memory_order_relaxed); }
  void advance(UtcMicros by) { now_.fetch_add(by, std::memory_order_relaxed); }

 private:
  std::atomic<UtcMicros> now_;
};

}  // namespace tally
