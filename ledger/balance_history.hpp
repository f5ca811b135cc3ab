// One user's history: signed balance changes by timestamp, with order statistics that answer balance-at-date
// and "lowest/highest balance from a moment on" in O(log n), inserts in any timestamp order.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ledger/money.hpp"
#include "ledger/utc_time.hpp"

namespace tally {

// judge()'s answer (below).
enum class Verdict { accepted, insufficient_funds, balance_too_large };

// A B+-tree of sorted leaves, one slot per distinct timestamp ("moment") holding the sum of that moment's
// changes: the balance at a moment includes every change stamped at it, whatever their arrival order. A leaf
// (at most 256 bytes) holds its moments delta-encoded, each as varints of its distance from the one before, its
// sum and (when above one) its change count: 6-10 bytes a moment, read front to back (a leaf also keeps its last
// timestamp, so an append reads none of them); inner nodes keep each
// child's separator, sum and min/max prefix, so every query is one descent and one leaf scan. Nodes grow in
// steps, so a short history holds one small block. erase is for rolling back a recent insert.
class BalanceHistory {
 public:
  struct Extremes {
    MinorUnits lowest = 0;   // min over every moment >= at of the balance at that moment (incl. the balance at `at`)
    MinorUnits highest = 0;  // max over the same moments
  };

  BalanceHistory() = default;
  BalanceHistory(const BalanceHistory& other);
  BalanceHistory(BalanceHistory&& other) noexcept;
  BalanceHistory& operator=(const BalanceHistory& other);
  BalanceHistory& operator=(BalanceHistory&& other) noexcept;
  ~BalanceHistory();

  // `at` must be a real instant (years 0001..9999 fit easily); one outside +-2^58 micros aborts, and so does a
  // moment whose changes sum beyond +-2^62 (balances stay within +-10^17, so judged changes never do).
  void insert(UtcMicros at, MinorUnits delta);
  // judge(*this, at, delta), and insert(at, delta) when it is accepted: one descent and one scan of the leaf.
  Verdict insert_if_accepted(UtcMicros at, MinorUnits delta);
  // The same, given balance_now == balance() (a caller that keeps the balance, as recovery's slot does): a change
  // after the newest moment is then judged and appended without reading the leaf.
  Verdict insert_if_accepted(UtcMicros at, MinorUnits delta, MinorUnits balance_now);
  // Takes back one earlier insert(at, delta); aborts if no change is recorded at `at` (an impossible state).
  void erase(UtcMicros at, MinorUnits delta);

  // Sum of every delta whose timestamp <= at.
  MinorUnits balance_at(UtcMicros at) const;
  // Sum of every delta: adds the root's children (or scans a root leaf). Not kept beside the root: a user's
  // ledger block (this and a timeline) is then 16 bytes, an allocator class, and the user's durable balance is in
  // their UserSlot anyway.
  MinorUnits balance() const;
  // Balances at every moment from `at` (the balance at `at` itself, then at each later timestamp).
  Extremes extremes_from(UtcMicros at) const;

  // Changes, not moments. Walks the tree (O(n), for tests and reports): no count is kept, since every user with
  // a transaction has a history, in a 16-byte ledger block.
  std::size_t size() const;
  // A hint: a short history gets room for about `entries` moments (8 bytes each) in its one block (at most one
  // leaf's worth).
  void reserve(std::size_t entries);
  // The history's own size plus every block it allocated (as requested from the allocator). O(1).
  std::size_t memory_bytes() const;
  // A hint that the history is about to be used: starts loading its root block into the cache.
  void prefetch() const { __builtin_prefetch(root_); }

 private:
  struct Node;      // a leaf or an inner node; the layout is in balance_history_nodes.hpp
  Node* root_ = nullptr;
  friend struct BalanceHistoryOps;
};

// The rule: a change is accepted only if the balance stays within [0, limits::balance_minor_max] at every moment
// from its timestamp on (a backdated WITHDRAW must not drive any later moment negative).
Verdict judge(const BalanceHistory& history, UtcMicros at, MinorUnits delta);

}  // namespace tally
