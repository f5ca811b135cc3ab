// Brute-force damping: counts 401s per peer address in a window; past limits::auth_failures_before_delay_max the
// address's 401s are to be answered after limits::auth_failure_delay_ms (the caller delays the answer; nothing
// here sleeps). Other addresses are never affected. The table is bounded: at limits::auth_failure_addresses_max
// addresses the one that failed least recently is forgotten.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "ledger/limits.hpp"
#include "ledger/seeded_hash.hpp"

namespace tally::auth {

class FailureThrottle {
 public:
  explicit FailureThrottle(std::size_t addresses_max = limits::auth_failure_addresses_max);

  // Records one 401 for `address` at now_ms (monotonic); true: answer it after the delay.
  bool record_failure(std::string_view address, std::int64_t now_ms);
  std::size_t addresses() const;  // currently tracked

 private:
  struct Failures {
    std::string address;
    std::int64_t window_start_ms = 0;
    int count = 0;
  };
  const std::size_t addresses_max_;
  mutable std::mutex mutex_;
  std::list<Failures> recent_;  // most recently failed first
  // Keys view recent_'s strings; hashed with the process's secret (a client may own many addresses).
  std::unordered_map<std::string_view, std::list<Failures>::iterator, SeededStringHash> by_address_;
};

}  // namespace tally::auth
