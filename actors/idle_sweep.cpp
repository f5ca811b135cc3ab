// IdleSweep: a waiting loop that a destructor can interrupt at once (no sleep to outwait at shutdown).
#include "actors/idle_sweep.hpp"

#include <utility>

namespace tally {

IdleSweep::IdleSweep(std::chrono::milliseconds period, std::function<void()> visit)
    : period_(period), visit_(std::move(visit)), thread_([this] { run(); }) {}

IdleSweep::~IdleSweep() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void IdleSweep::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  auto next = std::chrono::steady_clock::now() + period_;
  while (!wake_.wait_until(lock, next, [this] { return stopping_; })) {
    lock.unlock();
    visit_();
    lock.lock();
    next = std::chrono::steady_clock::now() + period_;
  }
}

}  // namespace tally
