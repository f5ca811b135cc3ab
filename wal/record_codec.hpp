// Cap'n Proto encoding of the WAL's record payloads (schema: wal/wal_record.capnp).
// encode produces a flat array (a multiple of 8 bytes); decode accepts exactly that. Both sides apply the same
// predicate (ledger/record_checks.hpp): the writer never writes a record its own reader would refuse.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "ledger/records.hpp"

namespace tally::wal {

using Record = std::variant<UserCreated, TransactionApplied, UidReservation, UserUpdated>;

// nullopt when check_record(record) fails: decode would refuse the bytes, so they must never reach the log.
// Such a record is a bug upstream (the API validates every field); refusing is always on, not a debug assert,
// because a single unreadable record in the WAL or a snapshot stops every later start. The caller fails the
// request and writes nothing.
std::optional<std::string> encode(const UserCreated& record);
std::optional<std::string> encode(const TransactionApplied& record);
std::optional<std::string> encode(const UidReservation& record);
std::optional<std::string> encode(const UserUpdated& record);
// encode(record)'s bytes appended to `out`, with no string of their own (the WAL's batch path frames them in
// place, RecordGroup::add); false, `out` unchanged, exactly when encode returns nullopt.
bool encode_append(const TransactionApplied& record, std::string& out);
// nullopt when the bytes are not a valid record (unknown union member, bad pointers, a field failing
// check_record, ...). Never throws.
std::optional<Record> decode(std::string_view payload);
// decode into `out`, reusing its strings' capacity when it already holds a TransactionApplied (restart decodes
// millions of records through one scratch record: no uid allocation per record). False (`out` then holds
// anything) exactly when decode returns nullopt; else `out` equals decode's result.
bool decode_into(std::string_view payload, Record& out);

namespace detail {
// Encodes without the check, so tests can build the invalid payloads decode must refuse. Not for production.
std::string encode_unchecked(const UserCreated& record);
std::string encode_unchecked(const TransactionApplied& record);
std::string encode_unchecked(const UidReservation& record);
std::string encode_unchecked(const UserUpdated& record);
// decode without its shortcut for canonical transactions (record_codec_fast.hpp): the path that judges.
std::optional<Record> decode_general(std::string_view payload);
}  // namespace detail

}  // namespace tally::wal
