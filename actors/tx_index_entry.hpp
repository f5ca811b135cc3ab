// The packed layout of one durable transaction in TxIndex's arena (little-endian, unaligned, in memory only):
//   0  u32      user id (26 bits) | uid form (2) | withdraw (1) | timestamp given (1) | client (2)
//   4  LEB128   zigzag(at - the chunk's base time), 64-bit wrapping (1..10 bytes; 4 for seconds, 6 for a month)
//      LEB128   amount (50 bits: 1..8 bytes; 3 for up to 20,971.51 in cents)
// (`at` first: a timeline's binary search reads only that of the entries it probes.)
//      uid      form raw: [length byte][bytes]; forms uuid_lower / uuid_upper: 16 bytes (tx_index_uid.hpp)
//      LEB128   the client's ordinal (actors/client_names.hpp), only when the word's client bits are 3 (ordinals
//               0..2, the usual: open mode or a few API keys, sit in those bits): 1 byte below 128, at most 3
// An entry lives in a 64 KiB-aligned arena chunk (tx_index_arena.hpp) whose first 8 bytes hold the chunk's base
// time (the `at` of its first entry): entries written together are close in time, so `at` takes ~4 bytes, not 8.
// Writing and reading an entry, and comparing the uid it holds. Internal to TxIndex.
#pragma once

#include <cstdint>
#include <cstring>

#include "actors/tx_index_uid.hpp"
#include "ledger/assert.hpp"
#include "ledger/limits.hpp"
#include "ledger/records.hpp"
#include "ledger/varint.hpp"

namespace tally::tx_index_detail {

inline constexpr std::size_t arena_chunk_bytes = 64 * 1024;  // also the chunks' alignment
inline constexpr std::size_t chunk_base_bytes = 8;            // the chunk's base time, at its start
inline constexpr std::size_t word_bytes = 4;
inline constexpr std::size_t amount_bytes_max = 8, at_bytes_max = 10;
inline constexpr std::size_t client_ordinal_bytes_max = 3;  // LEB128 of an ordinal below limits::client_names_max
static_assert(limits::client_names_max <= (1u << (7 * client_ordinal_bytes_max)), "an ordinal fits its varint");
inline constexpr std::size_t entry_bytes_max =
    word_bytes + amount_bytes_max + at_bytes_max + 1 + limits::uid_bytes_max + client_ordinal_bytes_max;

inline constexpr unsigned user_bits = 26, form_shift = 26;
inline constexpr std::uint32_t flag_withdraw = 1u << 28, flag_timestamp_given = 1u << 29;
inline constexpr unsigned client_shift = 30;
inline constexpr std::uint32_t client_inline_max = 2, client_in_varint = 3;
inline constexpr unsigned amount_bits = 50;
static_assert(limits::amount_minor_max < (1ll << amount_bits), "amounts fit their varint's 8 bytes");
static_assert(7 * amount_bytes_max >= amount_bits && 7 * at_bytes_max >= 64, "varints hold their values");
static_assert(limits::users_max <= (1ull << user_bits), "user ids must fit the packed word");
static_assert(limits::uid_bytes_max < 256, "uid length must fit one byte");
// The fewest bytes an entry takes: the word, 1-byte `at` and amount, a raw uid of 1 byte behind its length byte (a
// uid is never empty: ledger/record_checks). entry_at reads 8 bytes at once only where they are the entry's own.
inline constexpr std::size_t stored_uid_bytes_min = 2;
inline constexpr std::size_t entry_bytes_min = word_bytes + 1 + 1 + stored_uid_bytes_min;
static_assert(entry_bytes_min >= 8, "an entry's first 8 bytes are its own (entry_at)");

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

// `at` as its distance from `base`, wrapping, so any pair of int64 round-trips exactly; small either way.
inline std::uint64_t zigzag_from(UtcMicros at, UtcMicros base) {
  const std::uint64_t d = static_cast<std::uint64_t>(at) - static_cast<std::uint64_t>(base);
  return (d << 1) ^ (0 - (d >> 63));
}
inline UtcMicros unzigzag_from(std::uint64_t z, UtcMicros base) {
  const std::uint64_t d = (z >> 1) ^ (0 - (z & 1));
  return static_cast<UtcMicros>(static_cast<std::uint64_t>(base) + d);
}

// The base time of the chunk that holds the entry at e.
inline UtcMicros chunk_base_of(const char* e) {
  const auto chunk = reinterpret_cast<std::uintptr_t>(e) & ~(std::uintptr_t{arena_chunk_bytes} - 1);
  return load<std::int64_t>(reinterpret_cast<const char*>(chunk));  // NOLINT(performance-no-int-to-ptr)
}

// The bytes the client's ordinal takes after the uid: none when it fits the word.
inline std::size_t ordinal_bytes(std::uint32_t ordinal) {
  return ordinal <= client_inline_max ? 0 : ordinal < 0x80 ? 1 : ordinal < 0x4000 ? 2 : 3;
}

// The bytes of tx's entry in a chunk whose base time is `base`.
inline std::size_t entry_bytes(const TransactionApplied& tx, const PackedUid& uid, std::uint32_t client,
                               UtcMicros base) {
  return word_bytes + varint_bytes(static_cast<std::uint64_t>(tx.amount)) + varint_bytes(zigzag_from(tx.at, base)) +
         uid.size + ordinal_bytes(client);
}

inline std::uint32_t word_of(const char* e) { return load<std::uint32_t>(e); }
inline UidForm form_of(const char* e) { return static_cast<UidForm>((word_of(e) >> form_shift) & 3); }
// Where the entry's uid starts: past the word and the two varints.
inline const char* uid_of(const char* e) { return skip_varint(skip_varint(e + word_bytes)); }

// The bytes of the uid stored at u, an entry's uid_of (the raw form's length byte included).
inline std::size_t stored_uid_bytes(UidForm form, const char* u) {
  return form == form_raw ? 1 + static_cast<unsigned char>(u[0]) : uuid_bytes;
}

// True when the entry at e holds uid.
inline bool same_uid(const char* e, const PackedUid& uid) {
  if (form_of(e) != uid.form) return false;
  const char* u = uid_of(e);
  // Raw: the length byte first, so the comparison never reads past a shorter stored uid.
  if (uid.form == form_raw && u[0] != uid.bytes[0]) return false;
  return std::memcmp(u, uid.bytes, uid.size) == 0;
}

// True when the entries at a and b hold the same uid.
inline bool same_entry_uid(const char* a, const char* b) {
  const UidForm form = form_of(a);
  if (form != form_of(b)) return false;
  const char* ua = uid_of(a);
  const char* ub = uid_of(b);
  if (form == form_raw && ua[0] != ub[0]) return false;
  return std::memcmp(ua, ub, stored_uid_bytes(form, ua)) == 0;
}

// Writes tx (its client as `client`, an ordinal) at e, in a chunk whose base time is `base`: entry_bytes(tx, uid,
// client, base) bytes. Returns the end of the entry.
inline char* write_entry(char* e, const TransactionApplied& tx, const PackedUid& uid, std::uint32_t client,
                         UtcMicros base) {
  TALLY_ASSERT(tx.amount >= 0 && tx.amount <= limits::amount_minor_max, "an indexed amount fits its 50 bits");
  TALLY_ASSERT(tx.user_id < limits::users_max, "an indexed user id fits its 26 bits");
  TALLY_ASSERT(client < limits::client_names_max, "a client ordinal fits its varint");
  TALLY_ASSERT(uid.size >= stored_uid_bytes_min, "a uid is never empty (entry_at's reads stay in the entry)");
  std::uint32_t word = static_cast<std::uint32_t>(tx.user_id) | (static_cast<std::uint32_t>(uid.form) << form_shift);
  if (tx.kind == TxKind::withdraw) word |= flag_withdraw;
  if (tx.timestamp_given) word |= flag_timestamp_given;
  word |= (client <= client_inline_max ? client : client_in_varint) << client_shift;
  store<std::uint32_t>(e, word);
  char* p = put_varint(e + word_bytes, zigzag_from(tx.at, base));
  p = put_varint(p, static_cast<std::uint64_t>(tx.amount));
  std::memcpy(p, uid.bytes, uid.size);
  return client <= client_inline_max ? p + uid.size : put_varint(p + uid.size, client);
}

// The two fields a timeline (actors/tx_timeline.hpp) reads of an entry, without materialising it.
// `at`: a timeline's binary search decodes one per probe (a loop over its bytes cost ~10% of a restart), so it is
// read a word at a time, but only from the entry's own bytes: the arena's next entry may be being written by the
// WAL thread meanwhile, and reading it, even to mask the bytes off, is a data race (ThreadSanitizer reports it).
inline UtcMicros entry_at(const char* e) {
  std::uint64_t z = 0;
  // The entry's first 8 bytes (entry_bytes_min): the word and `at`'s first 4, enough for ±134 s from the base.
  if (!get_varint_in_word<4>(load<std::uint64_t>(e) >> (8 * word_bytes), z)) {
    // `at` takes 5 bytes or more, so with the amount and uid the 8 bytes past the word are the entry's too.
    if (!get_varint_in_word<8>(load<std::uint64_t>(e + word_bytes), z)) get_varint(e + word_bytes, z);
  }
  return unzigzag_from(z, chunk_base_of(e));
}
inline MinorUnits entry_delta(const char* e) {
  std::uint64_t amount = 0;
  get_varint(skip_varint(e + word_bytes), amount);
  return (word_of(e) & flag_withdraw) ? -static_cast<MinorUnits>(amount) : static_cast<MinorUnits>(amount);
}

// The client ordinal of the entry at e.
inline std::uint32_t read_client_ordinal(const char* e) {
  const std::uint32_t in_word = word_of(e) >> client_shift;
  if (in_word != client_in_varint) return in_word;
  const char* u = uid_of(e);
  std::uint64_t value = 0;
  get_varint(u + stored_uid_bytes(form_of(e), u), value);
  return static_cast<std::uint32_t>(value);
}

// The transaction an entry holds, as write_entry was given it, but for the client (read_client_ordinal).
inline TransactionApplied read_entry(const char* e) {
  const std::uint32_t word = word_of(e);
  std::uint64_t amount = 0, z = 0;
  const char* p = get_varint(e + word_bytes, z);
  p = get_varint(p, amount);
  TransactionApplied tx;
  tx.uid = unpack_uid(form_of(e), p);
  tx.user_id = word & ((1u << user_bits) - 1);  // the bits above are the form, flags and client
  tx.kind = (word & flag_withdraw) ? TxKind::withdraw : TxKind::deposit;
  tx.amount = static_cast<MinorUnits>(amount);
  tx.at = unzigzag_from(z, chunk_base_of(e));
  tx.timestamp_given = (word & flag_timestamp_given) != 0;
  return tx;
}

}  // namespace tally::tx_index_detail
