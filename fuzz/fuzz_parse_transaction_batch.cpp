// libFuzzer target: PUT /v1/transactions bodies. A body-level refusal is a 400/422; otherwise there is one
// verdict per item, at most limits::batch_transactions_max, and every accepted item is a record the WAL encodes
// and decodes to itself, exactly as a single PUT's would be.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fuzz_check.hpp"
#include "json_answer.hpp"
#include "ledger/limits.hpp"
#include "rest/request_parse.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tally;
  constexpr UtcMicros now = limits::utc_micros_max;  // lets year-9999 items past the future rule
  std::vector<TransactionApplied> items;
  std::vector<rest::ApiError> errors;
  const rest::ApiError error = rest::parse_transaction_batch(fuzz::as_text(data, size), now, items, errors);
  if (error) {
    fuzz::check_error_answer(error);
    return 0;
  }
  FUZZ_CHECK(items.size() == errors.size(), "one verdict per item");
  FUZZ_CHECK(items.size() <= limits::batch_transactions_max, "more items than a batch may hold");
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (errors[i]) {
      fuzz::check_error_answer(errors[i]);
      continue;
    }
    fuzz::check_round_trip(items[i]);
    FUZZ_CHECK(items[i].timestamp_given || items[i].at == now, "an absent timestamp is not the server clock");
  }
  return 0;
}
