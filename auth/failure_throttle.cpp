// FailureThrottle: an LRU of per-address failure windows, under one mutex (taken on 401s only).
#include "auth/failure_throttle.hpp"

#include "ledger/assert.hpp"

namespace tally::auth {

FailureThrottle::FailureThrottle(std::size_t addresses_max) : addresses_max_(addresses_max) {
  TALLY_ASSERT(addresses_max_ > 0, "the table holds at least one address");
}

bool FailureThrottle::record_failure(std::string_view address, std::int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = by_address_.find(address);
  if (found == by_address_.end()) {
    if (recent_.size() >= addresses_max_) {
      by_address_.erase(recent_.back().address);
      recent_.pop_back();
    }
    recent_.push_front(Failures{std::string(address), now_ms, 0});
    found = by_address_.emplace(recent_.front().address, recent_.begin()).first;
  } else {
    recent_.splice(recent_.begin(), recent_, found->second);  // iterators (and the key's string) stay valid
  }
  Failures& failures = *found->second;
  if (now_ms - failures.window_start_ms > limits::auth_failure_window_ms) {
    failures.window_start_ms = now_ms;
    failures.count = 0;
  }
  if (failures.count <= limits::auth_failures_before_delay_max) ++failures.count;
  TALLY_ASSERT(by_address_.size() == recent_.size() && recent_.size() <= addresses_max_, "the table is bounded");
  return failures.count > limits::auth_failures_before_delay_max;
}

std::size_t FailureThrottle::addresses() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return recent_.size();
}

}  // namespace tally::auth
