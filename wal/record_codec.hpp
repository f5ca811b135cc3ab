// Cap'n Proto encoding of the WAL's record payloads (schema: wal/wal_record.capnp).
// encode_* produce a flat array (a multiple of 8 bytes); decode accepts exactly that.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "ledger/records.hpp"

namespace tally::wal {

using Record = std::variant<UserCreated, TransactionApplied>;

std::string encode(const UserCreated& record);
std::string encode(const TransactionApplied& record);
// nullopt when the bytes are not a valid record (unknown union member, bad pointers, ...). Never throws.
std::optional<Record> decode(std::string_view payload);

}  // namespace tally::wal
