// IdleSweep: a waiting loop that a destructor can interrupt at once (no sleep to outwait at shutdown).
#include "actors/idle_sweep.hpp"

#include <algorithm>
#include <utility>

namespace tally {

namespace {

// No more slices than whole milliseconds in the period: every member is still visited once per period.
std::uint32_t slices_for(std::chrono::milliseconds period, std::uint32_t slices) {
  const auto period_ms = static_cast<std::uint64_t>(std::max<std::int64_t>(period.count(), 1));
  return static_cast<std::uint32_t>(std::clamp<std::uint64_t>(period_ms, 1, std::max<std::uint32_t>(slices, 1)));
}

}  // namespace

IdleSweep::IdleSweep(std::chrono::milliseconds period, std::uint32_t slices, Visit visit)
    : tick_(std::max<std::chrono::milliseconds>(period / slices_for(period, slices), std::chrono::milliseconds(1))),
      slices_(slices_for(period, slices)),
      visit_(std::move(visit)),
      thread_([this] { run(); }) {}

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
  std::uint32_t slice = 0;
  auto next = std::chrono::steady_clock::now() + tick_;
  while (!wake_.wait_until(lock, next, [this] { return stopping_; })) {
    lock.unlock();
    visit_(slice, slices_);
    slice = (slice + 1) % slices_;
    lock.lock();
    next = std::chrono::steady_clock::now() + tick_;
  }
}

}  // namespace tally
