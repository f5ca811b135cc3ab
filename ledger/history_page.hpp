// A page of one user's transaction history, as LedgerApi::list_transactions answers it (GET
// /v1/user/{id}/transactions): durable transactions ordered by timestamp, then by arrival, each with the balance
// right after it in that order. Plain values; the REST layer turns a position into its opaque cursor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "ledger/limits.hpp"
#include "ledger/records.hpp"

namespace tally {

// A place in a user's listing order: just before the `skip`-th (counting from 0) transaction stamped `at`.
// It stays put as transactions arrive: a new one stamped `at` goes after every earlier one stamped `at`, and one
// stamped earlier or later moves neither `at` nor the count before it among those stamped `at`.
struct HistoryPosition {
  UtcMicros at = 0;
  std::uint64_t skip = 0;
};

struct HistoryQuery {
  UtcMicros from = limits::utc_micros_min;  // inclusive
  UtcMicros to = limits::utc_micros_max;    // inclusive
  std::size_t limit = limits::history_page_transactions_default;
  std::optional<HistoryPosition> after;  // where the previous page stopped (its `next`): continue from there
};

struct HistoryItem {
  TransactionApplied tx;
  MinorUnits balance = 0;  // the sum of every change up to and including this one, in listing order
};

struct HistoryPage {
  std::vector<HistoryItem> items;       // at most the query's limit
  std::optional<HistoryPosition> next;  // set when more transactions within [from, to] follow
};

using HistoryReply = std::function<void(const HistoryPage& page)>;

}  // namespace tally
