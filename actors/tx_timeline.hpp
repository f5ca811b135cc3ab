// One user's durable transactions in listing order, by timestamp and then by arrival (the order they became
// durable, which is log order, so recovery rebuilds the same order): what GET /v1/user/{id}/transactions pages
// through. It holds no copy of a transaction: only a pointer to its TxIndex entry (tx_index_entry.hpp), which never
// moves, so it costs 6 bytes a transaction (the pointer's low 48 bits) in the leaves of a counted B+-tree. Inner
// nodes keep each child's transaction count, sum of balance changes and first timestamp, so finding a page's first
// position and the balance before it is one descent, and a page is a walk from there: O(log n + page).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "ledger/history_page.hpp"
#include "ledger/money.hpp"
#include "ledger/utc_time.hpp"

namespace tally {

class TxTimeline {
 public:
  using Entry = const char*;  // a durable TxIndex entry: it outlives every timeline that points at it

  TxTimeline() = default;
  TxTimeline(TxTimeline&& other) noexcept;
  TxTimeline& operator=(TxTimeline&& other) noexcept;
  TxTimeline(const TxTimeline&) = delete;
  TxTimeline& operator=(const TxTimeline&) = delete;
  ~TxTimeline();

  // Adds a transaction after every one stamped at or before its timestamp: arrival order breaks ties.
  void insert(Entry entry);
  // Recovery's bulk form: `count` entries already in listing order (timestamps non-decreasing, arrival order
  // within one), as many insert() calls in that order would leave them, built bottom-up in one pass: each node
  // allocated once at its final size (inserting grows a node through its capacity steps, a block each). An empty
  // timeline only (else each is inserted).
  void assign_sorted(const Entry* entries, std::size_t count);

  std::size_t size() const;
  // How many transactions are stamped before `at` (any int64): the position of the first one stamped at or after.
  std::size_t count_before(UtcMicros at) const;
  // Calls visit(entry, balance after it) for the transactions from `position` on, in order, until it returns
  // false or none is left. The balance is the sum of every change up to and including that transaction.
  void walk_from(std::size_t position, const std::function<bool(Entry, MinorUnits)>& visit) const;

  // Blocks allocated (as requested from the allocator). Walks the tree: for tests and reports, not hot paths.
  std::size_t memory_bytes() const;
  // A hint that the timeline is about to be used: starts loading its root block into the cache.
  void prefetch() const { __builtin_prefetch(root_); }
  // The same for the path an append walks (the rightmost), a level a call: call it with step 0, 1, 2, ... some
  // work apart. Each step reads only what the ones before loaded: odd steps load a node's slots an append reads,
  // even ones the next node (step 0: the root; at the leaf: its last entry's time, which the append compares).
  void prefetch_append(int step) const;
  // Every invariant of the tree, checked the long way (tests): empty when they hold, else the first broken one.
  std::string check() const;

  struct Node;  // layout in tx_timeline.cpp
  struct Ops;

 private:
  Node* root_ = nullptr;
};

// The page `query` asks for, read from `timeline` (tx_timeline_page.cpp): O(log n + page).
HistoryPage history_page(const TxTimeline& timeline, const HistoryQuery& query);

}  // namespace tally
