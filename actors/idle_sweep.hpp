// IdleSweep: one thread that runs a visit every period until it is stopped. LedgerService uses it to send the
// idle check to every live user actor, so that spawning an actor (a cold user, often once per batch item) costs
// no timer of its own: a delayed message per actor went through CAF's clock thread (a lock, a wake-up of that
// thread and a heap entry per spawn), about a fifth of the CPU of a batch over a million cold users.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace tally {

class IdleSweep {
 public:
  // Starts the thread; `visit` runs on it once per `period`, first one period from now.
  IdleSweep(std::chrono::milliseconds period, std::function<void()> visit);
  // Stops and joins: no visit runs after it returns.
  ~IdleSweep();
  IdleSweep(const IdleSweep&) = delete;
  IdleSweep& operator=(const IdleSweep&) = delete;

 private:
  void run();

  std::chrono::milliseconds period_;
  std::function<void()> visit_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;  // last: started once everything it reads exists
};

}  // namespace tally
