// What makes a stored fact valid: one predicate per record kind, built from one check per field. The API's
// parser checks each field with these same functions, the WAL encoder refuses a record that fails them and the
// WAL decoder refuses bytes that decode to one: accepted by the API <=> written <=> readable after a restart.
#pragma once

#include <string_view>

#include "ledger/records.hpp"

namespace tally {

enum class RecordFault {
  none,
  user_id,          // 0, or (for a created user) not below limits::users_max
  uid,              // not 1..limits::uid_bytes_max printable ASCII
  kind,             // not deposit / withdraw
  amount,           // not 1..limits::amount_minor_max
  instant,          // not within_utc_limits (ledger/utc_time.hpp)
  name,             // see NameFault
  idempotency_key,  // not empty (= none) or 1..limits::idempotency_key_bytes_max printable ASCII
  client,           // not empty (= none) or a valid_client_name
  threshold,        // a low-balance threshold not in 0..limits::amount_minor_max
};

enum class NameFault {
  none,
  not_utf8,       // ill-formed UTF-8 (overlong, surrogate, above U+10FFFF, cut short)
  length,         // not 1..limits::user_name_chars_max code points
  control_chars,  // a Cc code point: C0, DEL or C1
};

RecordFault check_record(const TransactionApplied& record);
RecordFault check_record(const UserCreated& record);
inline RecordFault check_record(const UidReservation& record) { return check_record(record.tx); }
RecordFault check_record(const UserUpdated& record);
const char* describe(RecordFault fault);

// Field checks, shared with rest/request_parse.
bool valid_uid(std::string_view uid);
bool valid_idempotency_key(std::string_view key);  // a key that was given: 1..128 printable ASCII
bool valid_amount(MinorUnits amount);
bool valid_threshold(MinorUnits threshold);  // a low-balance threshold: 0..limits::amount_minor_max
NameFault check_user_name(std::string_view name);
// An API client's name, as the key file spells it (docs/security.md): 1..limits::client_name_bytes_max of
// [A-Za-z0-9._-]. Also what a record's client field holds when it is not empty.
bool valid_client_name(std::string_view name);

}  // namespace tally
