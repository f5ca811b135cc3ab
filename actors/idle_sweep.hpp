// IdleSweep: one thread that visits a population in `slices` parts, one part per period/slices, until it is
// stopped: every member is visited once per period. LedgerService uses it to send the idle check to every live
// user actor, so that spawning an actor (a cold user, often once per batch item) costs no timer of its own: a
// delayed message per actor went through CAF's clock thread (a lock, a wake-up of that thread and a heap entry per
// spawn), about a fifth of the CPU of a batch over a million cold users. Slices spread the checks over the period:
// a million live actors would otherwise get a million messages in one burst, a latency spike for every write.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

namespace tally {

class IdleSweep {
 public:
  // visit(k, n) with k = 0, 1, ..., n-1, 0, ...: one call every period/n, on the sweep's own thread, the first one
  // period/n from now; n = `slices`, or fewer for a period shorter than `slices` ms (a call at most every 1 ms).
  using Visit = std::function<void(std::uint32_t slice, std::uint32_t slices)>;
  IdleSweep(std::chrono::milliseconds period, std::uint32_t slices, Visit visit);
  // Stops and joins: no visit runs after it returns.
  ~IdleSweep();
  IdleSweep(const IdleSweep&) = delete;
  IdleSweep& operator=(const IdleSweep&) = delete;

 private:
  void run();

  std::chrono::milliseconds tick_;
  std::uint32_t slices_;
  Visit visit_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;  // last: started once everything it reads exists
};

}  // namespace tally
