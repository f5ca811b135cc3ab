// The packed layout of one durable transaction in TxIndex's arena (little-endian, unaligned):
//   0  i64  at
//   8  u64  amount (50 bits) | withdraw (1) | timestamp given (1) | user id bits 0..11 (12)
//  16  u16  user id bits 12..25 (14) | uid form (2)
//  18  uid: form raw: [length byte][bytes]; forms uuid_lower / uuid_upper: 16 bytes (tx_index_uid.hpp)
//  then the client's ordinal (actors/client_names.hpp) as a LEB128 varint: 1 byte below 128, at most 3
// Writing and reading an entry, and comparing the uid it holds. Internal to TxIndex.
#pragma once

#include <cstdint>
#include <cstring>

#include "actors/tx_index_uid.hpp"
#include "ledger/assert.hpp"
#include "ledger/limits.hpp"
#include "ledger/records.hpp"

namespace tally::tx_index_detail {

inline constexpr std::size_t header_bytes = 18;
inline constexpr std::size_t client_ordinal_bytes_max = 3;  // LEB128 of an ordinal below limits::client_names_max
static_assert(limits::client_names_max <= (1u << (7 * client_ordinal_bytes_max)), "an ordinal fits its varint");
inline constexpr std::size_t entry_bytes_max = header_bytes + 1 + limits::uid_bytes_max + client_ordinal_bytes_max;

inline constexpr unsigned amount_bits = 50, user_low_bits = 12, user_high_bits = 14;
inline constexpr std::uint64_t flag_withdraw = 1ull << amount_bits, flag_timestamp_given = 1ull << (amount_bits + 1);
static_assert(limits::amount_minor_max < (1ll << amount_bits), "amounts must fit the packed entry");
static_assert(limits::users_max <= (1ull << (user_low_bits + user_high_bits)), "user ids must fit the packed entry");
static_assert(limits::uid_bytes_max < 256, "uid length must fit one byte");
static_assert(amount_bits + 2 + user_low_bits == 64 && user_high_bits + 2 == 16, "the packed header is full");

template <class T>
T load(const char* p) {
  T value;
  std::memcpy(&value, p, sizeof value);
  return value;
}

template <class T>
void store(char* p, T value) {
  std::memcpy(p, &value, sizeof value);
}

inline std::size_t ordinal_bytes(std::uint32_t ordinal) { return ordinal < 0x80 ? 1 : ordinal < 0x4000 ? 2 : 3; }

inline std::size_t entry_bytes(const PackedUid& uid, std::uint32_t client) {
  return header_bytes + uid.size + ordinal_bytes(client);
}

inline UidForm form_of(const char* e) { return static_cast<UidForm>(load<std::uint16_t>(e + 16) >> user_high_bits); }

// The bytes of the uid stored in the entry at e (the raw form's length byte included).
inline std::size_t stored_uid_bytes(const char* e) {
  return form_of(e) == form_raw ? 1 + static_cast<unsigned char>(e[header_bytes]) : uuid_bytes;
}

// True when the entry at e holds uid.
inline bool same_uid(const char* e, const PackedUid& uid) {
  if (form_of(e) != uid.form) return false;
  // Raw: the length byte first, so the comparison never reads past a shorter stored uid.
  if (uid.form == form_raw && e[header_bytes] != uid.bytes[0]) return false;
  return std::memcmp(e + header_bytes, uid.bytes, uid.size) == 0;
}

// True when the entries at a and b hold the same uid.
inline bool same_entry_uid(const char* a, const char* b) {
  const UidForm form = form_of(a);
  if (form != form_of(b)) return false;
  const std::size_t n = stored_uid_bytes(a);
  if (form == form_raw && a[header_bytes] != b[header_bytes]) return false;
  return std::memcmp(a + header_bytes, b + header_bytes, n) == 0;
}

// Writes tx (its client as `client`, an ordinal) as an entry of entry_bytes(uid, client) bytes at e.
inline void write_entry(char* e, const TransactionApplied& tx, const PackedUid& uid, std::uint32_t client) {
  TALLY_ASSERT(tx.amount >= 0 && tx.amount <= limits::amount_minor_max, "an indexed amount fits its 50 bits");
  TALLY_ASSERT(tx.user_id < limits::users_max, "an indexed user id fits its 26 bits");
  const std::uint64_t user = tx.user_id;
  std::uint64_t word = static_cast<std::uint64_t>(tx.amount) | (user << (amount_bits + 2));
  if (tx.kind == TxKind::withdraw) word |= flag_withdraw;
  if (tx.timestamp_given) word |= flag_timestamp_given;
  store<std::int64_t>(e, tx.at);
  store<std::uint64_t>(e + 8, word);
  store<std::uint16_t>(e + 16, static_cast<std::uint16_t>((user >> user_low_bits) |
                                                          (static_cast<unsigned>(uid.form) << user_high_bits)));
  std::memcpy(e + header_bytes, uid.bytes, uid.size);
  TALLY_ASSERT(client < limits::client_names_max, "a client ordinal fits its varint");
  char* p = e + header_bytes + uid.size;
  while (client >= 0x80) {
    *p++ = static_cast<char>((client & 0x7F) | 0x80);
    client >>= 7;
  }
  *p = static_cast<char>(client);
}

// The two fields a timeline (actors/tx_timeline.hpp) reads of an entry, without materialising it.
inline UtcMicros entry_at(const char* e) { return load<std::int64_t>(e); }
inline MinorUnits entry_delta(const char* e) {
  const std::uint64_t word = load<std::uint64_t>(e + 8);
  const auto amount = static_cast<MinorUnits>(word & ((1ull << amount_bits) - 1));
  return (word & flag_withdraw) ? -amount : amount;
}

// The client ordinal of the entry at e.
inline std::uint32_t read_client_ordinal(const char* e) {
  const char* p = e + header_bytes + stored_uid_bytes(e);
  std::uint32_t value = 0;
  for (unsigned shift = 0;; shift += 7) {
    const auto byte = static_cast<unsigned char>(*p++);
    value |= static_cast<std::uint32_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) return value;
  }
}

// The transaction an entry holds, as write_entry was given it, but for the client (read_client_ordinal).
inline TransactionApplied read_entry(const char* e) {
  const std::uint64_t word = load<std::uint64_t>(e + 8);
  const std::uint16_t high = load<std::uint16_t>(e + 16);
  TransactionApplied tx;
  tx.uid = unpack_uid(form_of(e), e + header_bytes);
  tx.user_id = (word >> (amount_bits + 2)) |
               (static_cast<std::uint64_t>(high & ((1u << user_high_bits) - 1)) << user_low_bits);
  tx.kind = (word & flag_withdraw) ? TxKind::withdraw : TxKind::deposit;
  tx.amount = static_cast<MinorUnits>(word & ((1ull << amount_bits) - 1));
  tx.at = load<std::int64_t>(e);
  tx.timestamp_given = (word & flag_timestamp_given) != 0;
  return tx;
}

}  // namespace tally::tx_index_detail
