// libFuzzer target: PUT /v1/transaction bodies. Whatever parse_transaction accepts is a valid record that the
// WAL encodes and decodes to itself (the year-0 bug was an accepted body the WAL could not read back); its JSON
// answer is valid and, sent back as a request, is the same request. Refusals are 400/422 with a JSON body.
#include <cstddef>
#include <cstdint>

#include "fuzz_check.hpp"
#include "json_answer.hpp"
#include "ledger/limits.hpp"
#include "rest/request_parse.hpp"

namespace {

using namespace tally;

// Today, and the last instant of the range: with it, year-9999 timestamps get past the future rule.
constexpr UtcMicros clocks[] = {1'700'000'000'000'000, limits::utc_micros_max};

void check_accepted(const TransactionApplied& tx, UtcMicros now) {
  fuzz::check_round_trip(tx);
  FUZZ_CHECK(tx.timestamp_given || tx.at == now, "an absent timestamp is not the server clock");
  FUZZ_CHECK(tx.at <= now + limits::future_skew_micros_max, "a timestamp beyond the future limit was accepted");
  std::string answer;
  rest::append_transaction(answer, tx);
  const nlohmann::json json = fuzz::parse_answer(answer);
  FUZZ_CHECK(json["uid"] == tx.uid && json["user_id"] == tx.user_id, "the answer does not carry uid/user");
  FUZZ_CHECK(json["amount"] == format_minor_units(tx.amount), "the answer's amount differs");
  // A client that replays the answer repeats the request (the uid makes it exactly-once).
  TransactionApplied again;
  const rest::ApiError error = rest::parse_transaction(answer, now, again);
  FUZZ_CHECK(!error, "the answer is not an acceptable request: " + error.code + " " + answer);
  FUZZ_CHECK(again.at == tx.at && again.amount == tx.amount && again.uid == tx.uid, "the replay names another tx");
  FUZZ_CHECK(!tx.timestamp_given || again.same_request_as(tx), "the replayed answer is not the same request");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body = fuzz::as_text(data, size);
  for (const UtcMicros now : clocks) {
    TransactionApplied tx;
    const rest::ApiError error = rest::parse_transaction(body, now, tx);
    if (error) {
      fuzz::check_error_answer(error);
    } else {
      check_accepted(tx, now);
    }
  }
  return 0;
}
