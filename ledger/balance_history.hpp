// One user's history: signed balance changes by timestamp, with order statistics that answer balance-at-date
// and "lowest/highest balance from a moment on" in O(log n), inserts in any timestamp order.
#pragma once

#include <cstdint>
#include <vector>

#include "ledger/money.hpp"
#include "ledger/utc_time.hpp"

namespace tally {

// An augmented treap in one arena (32-bit links), one node per distinct timestamp ("moment") holding the sum of
// that moment's changes: the balance at a moment includes every change stamped at it, whatever their arrival
// order. erase is for rolling back a recent insert.
class BalanceHistory {
 public:
  struct Extremes {
    MinorUnits lowest = 0;   // min over every moment >= at of the balance at that moment (incl. the balance at `at`)
    MinorUnits highest = 0;  // max over the same moments
  };

  void insert(UtcMicros at, MinorUnits delta);
  // Takes back one earlier insert(at, delta); aborts if no change is recorded at `at` (an impossible state).
  void erase(UtcMicros at, MinorUnits delta);

  // Sum of every delta whose timestamp <= at.
  MinorUnits balance_at(UtcMicros at) const;
  // Sum of every delta. O(1).
  MinorUnits balance() const;
  // Balances at every moment from `at` (the balance at `at` itself, then at each later timestamp).
  Extremes extremes_from(UtcMicros at) const;

  std::size_t size() const { return live_count_; }  // changes, not moments
  void reserve(std::size_t entries);
  std::size_t memory_bytes() const;

 private:
  struct Node {
    UtcMicros at;
    MinorUnits delta;       // sum of the changes stamped `at`
    std::uint32_t changes;  // how many; the node goes when the last is erased
    MinorUnits sum;         // of the subtree
    MinorUnits min_prefix;  // min over the subtree's non-empty prefixes (in order): balances at its moments
    MinorUnits max_prefix;  // max over the same
    std::uint32_t left, right;
  };
  std::vector<Node> nodes_;
  std::vector<std::uint32_t> free_;
  std::uint32_t root_ = 0;  // 0 = empty; nodes_[0] is a sentinel
  std::size_t live_count_ = 0;
  // helpers are defined in the .cpp
  friend struct BalanceHistoryOps;
};

enum class Verdict { accepted, insufficient_funds, balance_too_large };

// The rule: a change is accepted only if the balance stays within [0, limits::balance_minor_max] at every moment
// from its timestamp on (a backdated WITHDRAW must not drive any later moment negative).
Verdict judge(const BalanceHistory& history, UtcMicros at, MinorUnits delta);

}  // namespace tally
