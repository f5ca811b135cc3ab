// libFuzzer target: POST /v1/user bodies (and the Idempotency-Key header rule). An accepted name passes the
// shared name check and its UserCreated record round-trips through the WAL; the 201 answer is valid JSON with
// the same name. The raw input, taken as an Idempotency-Key, is accepted exactly when the record takes it.
#include <cstddef>
#include <cstdint>

#include "fuzz_check.hpp"
#include "json_answer.hpp"
#include "ledger/limits.hpp"
#include "rest/request_parse.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tally;
  const std::string_view input = fuzz::as_text(data, size);
  constexpr UtcMicros now = 1'700'000'000'000'000;

  rest::CreateUserRequest parsed;
  const rest::ApiError error = rest::parse_create_user(input, parsed);
  if (error) {
    fuzz::check_error_answer(error);
  } else {
    FUZZ_CHECK(check_user_name(parsed.name) == NameFault::none, "an accepted name fails the shared name check");
    FUZZ_CHECK(valid_threshold(parsed.low_balance_threshold), "an accepted threshold fails the shared check");
    fuzz::check_round_trip(UserCreated{limits::users_max - 1, parsed.name, "", now, "", parsed.low_balance_threshold});
    std::string answer;
    rest::append_user(answer, UserView{7, parsed.name, 0});
    FUZZ_CHECK(fuzz::parse_answer(answer)["name"] == parsed.name, "the answer's name differs");
  }

  if (valid_idempotency_key(input)) {
    fuzz::check_round_trip(UserCreated{1, "n", std::string(input), now});
  } else {
    const UserCreated keyed{1, "n", std::string(input), now};
    FUZZ_CHECK(input.empty() || !wal::encode(keyed), "the WAL took an Idempotency-Key the API refuses");
  }
  return 0;
}
