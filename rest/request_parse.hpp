// Turns request bodies and path/query pieces into validated commands, or into the exact 400/422 ApiError.
// JSON numbers keep their original text, so amounts are parsed as decimals and never pass through a double.
// Field rules are ledger/record_checks.hpp's, the same the WAL applies: what is accepted here is a record the
// WAL writes and reads back (tests/unit/test_accepted_records.cpp and fuzz/ check exactly that).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/record_checks.hpp"
#include "ledger/records.hpp"
#include "rest/api_error.hpp"

namespace tally::rest {

struct CreateUserRequest {
  std::string name;
  MinorUnits low_balance_threshold = 0;  // "low_balance_threshold", optional
};

// Body of POST /v1/user.
ApiError parse_create_user(std::string_view body, CreateUserRequest& out);

// Body of PATCH /v1/user/{id}: a JSON merge patch of the user's settings, {"low_balance_threshold": ...}.
// Fields it cannot change ("name", "id", "balance") are refused (422 read_only_field); unknown ones too
// (422 unknown_field), so a typo never passes for a change.
ApiError parse_user_update(std::string_view body, UserUpdated& out);

// The Idempotency-Key header of POST /v1/user: no error, or 422 invalid_idempotency_key.
ApiError check_idempotency_key(std::string_view key);

// Body of PUT /v1/transaction. `now` (the ledger's clock) fills an absent timestamp and bounds a future one:
// at most limits::future_skew_micros_max after it (that instant itself is accepted).
ApiError parse_transaction(std::string_view body, UtcMicros now, TransactionApplied& out);

// Body of PUT /v1/transactions: a JSON array of transaction objects. A body-level problem (not JSON, not an
// array, too many items) is the returned error; otherwise `errors[i]` is item i's own error (status 0 = valid).
ApiError parse_transaction_batch(std::string_view body, UtcMicros now, std::vector<TransactionApplied>& items,
                                 std::vector<ApiError>& errors);

// Path and header pieces. uids and Idempotency-Keys follow the record rules (ledger/record_checks.hpp); the names
// stay reachable as rest::valid_uid / rest::valid_idempotency_key.
using tally::valid_idempotency_key;  // 1..128 printable ASCII
using tally::valid_uid;              // 1..64 printable ASCII
std::optional<UserId> parse_user_id(std::string_view text);       // positive decimal, no sign or leading '+'
std::string percent_decode(std::string_view text);                // "%2B" -> "+"; '+' stays '+'
// ?date= value: ISO 8601 naming an instant within_utc_limits (the transaction timestamp's rule); a ' ' where an
// offset sign belongs is read as '+' (an unencoded '+' in a URL).
std::optional<UtcMicros> parse_query_date(std::string_view text);

}  // namespace tally::rest
