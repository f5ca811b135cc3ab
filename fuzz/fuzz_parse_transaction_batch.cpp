// libFuzzer target: PUT /v1/transactions bodies. A body-level refusal is a 400/422; otherwise there is one
// verdict per item, at most limits::batch_transactions_max, and every accepted item is a record the WAL encodes
// and decodes to itself, exactly as a single PUT's would be. The plain-body fast path (rest/json_plain.hpp) reads
// whatever it takes into the very document the full reader makes.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fuzz_check.hpp"
#include "json_answer.hpp"
#include "ledger/limits.hpp"
#include "rest/json_fields.hpp"
#include "rest/json_plain.hpp"
#include "rest/request_parse.hpp"

namespace {
void check_plain_path(std::string_view body) {
  using namespace tally::rest;
  JsonDocument plain;
  if (!read_plain_json(body, tally::limits::batch_transactions_max, plain)) return;
  const JsonDocument full = read_json_full(body, tally::limits::batch_transactions_max);
  FUZZ_CHECK(full.ok && plain.ok, "the fast path took a body the full reader refuses");
  FUZZ_CHECK(plain.top_is_array == full.top_is_array && plain.element_is_object == full.element_is_object &&
                 plain.objects.size() == full.objects.size(),
             "the fast path's document has another shape");
  for (std::size_t i = 0; i < plain.objects.size(); ++i) {
    FUZZ_CHECK(plain.objects[i].size() == full.objects[i].size(), "the fast path read other fields");
    for (std::size_t k = 0; k < plain.objects[i].size(); ++k) {
      const JsonField& a = plain.objects[i][k];
      const JsonField& b = full.objects[i][k];
      FUZZ_CHECK(a.key == b.key && a.kind == b.kind && a.text == b.text, "the fast path read a field otherwise");
    }
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tally;
  constexpr UtcMicros now = limits::utc_micros_max;  // lets year-9999 items past the future rule
  std::vector<TransactionApplied> items;
  std::vector<rest::ApiError> errors;
  check_plain_path(fuzz::as_text(data, size));
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
