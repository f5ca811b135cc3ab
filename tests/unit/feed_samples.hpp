// A transaction record shared by the change feed's unit tests (test_feed.cpp, test_feed_rebuild.cpp): user 1,
// its timestamp given at jan1, recorded 5 micros later.
#pragma once

#include <string>

#include "ledger_harness.hpp"

namespace tally::feed_test {

inline TransactionApplied tx(const std::string& uid, TxKind kind, MinorUnits amount) {
  TransactionApplied t{uid, 1, kind, amount, testing::jan1, true, {}, 0};
  t.recorded_at = testing::jan1 + 5;
  return t;
}

}  // namespace tally::feed_test
