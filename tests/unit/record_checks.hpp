// Field-by-field checks of stored records, written without TransactionApplied::same_request_as: that function
// is code under test (the exactly-once gate), so it must not be the oracle of the tests that check it.
#pragma once

#include <gtest/gtest.h>

#include "ledger/records.hpp"

namespace tally::testing {

// Every field equal: what a store must give back for a record it was given.
inline ::testing::AssertionResult same_record(const TransactionApplied& got, const TransactionApplied& want) {
  if (got.uid == want.uid && got.user_id == want.user_id && got.kind == want.kind && got.amount == want.amount &&
      got.at == want.at && got.timestamp_given == want.timestamp_given && got.client == want.client)
    return ::testing::AssertionSuccess();
  auto show = [](const TransactionApplied& t) {
    return "{uid " + t.uid + ", user " + std::to_string(t.user_id) + ", " + to_string(t.kind) + ", amount " +
           std::to_string(t.amount) + ", at " + std::to_string(t.at) +
           (t.timestamp_given ? ", timestamp given" : ", server clock") + ", client '" + t.client + "'}";
  };
  return ::testing::AssertionFailure() << "got " << show(got) << ", want " << show(want);
}

}  // namespace tally::testing
