// TxIndex's entry layout (varint header, `at` relative to its chunk's base time) and the arena of 64 KiB-aligned
// chunks that holds entries: every field round-trips at its edges, uids of every form compare exactly, and
// entries spread over many chunks keep their addresses and values; the uuid packing agrees with a plain one.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <cstdint>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "actors/tx_index_arena.hpp"
#include "actors/tx_index_entry.hpp"
#include "actors/tx_index_shard.hpp"
#include "ledger/limits.hpp"

namespace tally {
namespace {

using tx_index_detail::EntryArena;
using tx_index_detail::PackedUid;

struct Written {
  TransactionApplied tx;
  std::uint32_t client;
  const char* entry;
  std::uint32_t offset;
};

void expect_reads_back(const EntryArena& arena, const Written& w) {
  ASSERT_EQ(arena.entry(w.offset), w.entry) << w.tx.uid;
  const TransactionApplied got = tx_index_detail::read_entry(w.entry);
  EXPECT_EQ(got.uid, w.tx.uid);
  EXPECT_EQ(got.user_id, w.tx.user_id);
  EXPECT_EQ(got.kind, w.tx.kind);
  EXPECT_EQ(got.amount, w.tx.amount);
  EXPECT_EQ(got.at, w.tx.at) << w.tx.uid;
  EXPECT_EQ(got.timestamp_given, w.tx.timestamp_given);
  EXPECT_EQ(tx_index_detail::read_client_ordinal(w.entry), w.client);
  EXPECT_EQ(tx_index_detail::entry_at(w.entry), w.tx.at);
  EXPECT_EQ(tx_index_detail::entry_delta(w.entry), w.tx.delta());
  EXPECT_TRUE(tx_index_detail::same_uid(w.entry, PackedUid(w.tx.uid)));
}

TransactionApplied make(std::string uid, UserId user, TxKind kind, MinorUnits amount, UtcMicros at, bool given) {
  TransactionApplied tx;
  tx.uid = std::move(uid);
  tx.user_id = user;
  tx.kind = kind;
  tx.amount = amount;
  tx.at = at;
  tx.timestamp_given = given;
  return tx;
}

TEST(TxIndexEntry, EveryFieldRoundTripsAtItsEdges) {
  const std::vector<std::string> uids = {
      "a",                                     // raw, shortest
      std::string(limits::uid_bytes_max, 'z'),  // raw, longest
      "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0ff",  // uuid, lower case: 16 bytes
      "0F1E2D3C-4B5A-4978-8695-A4B3C2D1E0FF",  // uuid, upper case: 16 bytes, another uid
      "0f1e2d3c-4B5A-4978-8695-a4b3c2d1e0ff",  // mixed case: raw
      "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0fg",  // 36 characters, not hex: raw
      "0f1e2d3c-4b5a-4978-8695_a4b3c2d1e0ff",  // 36 hex digits and dashes misplaced: raw
  };
  const std::vector<UtcMicros> ats = {INT64_MIN, INT64_MIN + 1, -1, 0, 1, INT64_MAX - 1, INT64_MAX,
                                      -62'135'596'800'000'000, 253'402'300'799'999'999};
  const std::vector<MinorUnits> amounts = {0, 1, 127, 128, 16'383, 16'384, limits::amount_minor_max};
  const std::vector<UserId> users = {0, 1, limits::users_max - 1};
  const std::vector<std::uint32_t> clients = {0, 1, 2, 3, 127, 128, 16'383, 16'384, limits::client_names_max - 1};
  EntryArena arena;
  std::vector<Written> written;
  std::size_t n = 0;
  for (const std::string& uid : uids) {
    for (UtcMicros at : ats) {
      for (MinorUnits amount : amounts) {
        ++n;
        const auto kind = n % 2 ? TxKind::withdraw : TxKind::deposit;
        Written w{make(uid, users[n % users.size()], kind, amount, at, n % 3 == 0), clients[n % clients.size()],
                  nullptr, 0};
        w.entry = arena.append(w.tx, PackedUid(w.tx.uid), w.client, w.offset);
        written.push_back(std::move(w));
      }
    }
  }
  for (const Written& w : written) expect_reads_back(arena, w);
  // A uid is found only in entries that hold it: another uid of the same length or form never matches.
  for (const Written& w : written) {
    for (const std::string& uid : uids) {
      EXPECT_EQ(tx_index_detail::same_uid(w.entry, PackedUid(uid)), uid == w.tx.uid) << w.tx.uid << " " << uid;
    }
    EXPECT_EQ(tx_index_detail::same_entry_uid(w.entry, written.front().entry), w.tx.uid == written.front().tx.uid);
  }
}

TEST(TxIndexEntry, TheLargestEntryIsEntryBytesMax) {
  EntryArena arena;
  std::uint32_t offset = 0;
  // The chunk's base is the first entry's time: INT64_MIN, so -1 is as far from it as can be (2^63 - 1 micros;
  // distances wrap, so INT64_MAX is just one before it).
  const TransactionApplied first = make("x", 1, TxKind::deposit, 1, INT64_MIN, true);
  arena.append(first, PackedUid(first.uid), 0, offset);
  const TransactionApplied far =
      make(std::string(limits::uid_bytes_max, 'q'), limits::users_max - 1, TxKind::withdraw,
           limits::amount_minor_max, -1, true);
  const std::uint32_t client = limits::client_names_max - 1;
  EXPECT_EQ(tx_index_detail::entry_bytes(far, PackedUid(far.uid), client, INT64_MIN),
            tx_index_detail::entry_bytes_max);
  Written w{far, client, nullptr, 0};
  w.entry = arena.append(far, PackedUid(far.uid), client, w.offset);
  expect_reads_back(arena, w);
  EXPECT_EQ(arena.memory_bytes(), tx_index_detail::arena_chunk_bytes) << "both in the first chunk";
}

// Entries close in time are small: a uuid-keyed transaction seconds from its chunk's base takes 4 + 3 + 4 + 16,
// and a byte more for a client ordinal beyond the word's 0..2.
TEST(TxIndexEntry, AUuidEntryNearItsBaseTakes27Bytes) {
  const TransactionApplied tx =
      make("0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0ff", 123'456, TxKind::deposit, 500'000, 1'700'000'002'000'000, false);
  EXPECT_EQ(tx_index_detail::entry_bytes(tx, PackedUid(tx.uid), 0, 1'700'000'000'000'000), 27u);
  EXPECT_EQ(tx_index_detail::entry_bytes(tx, PackedUid(tx.uid), 2, 1'700'000'000'000'000), 27u);
  EXPECT_EQ(tx_index_detail::entry_bytes(tx, PackedUid(tx.uid), 3, 1'700'000'000'000'000), 28u);
}

// `at` at every distance from its chunk's base, either sign: varints of every length 1..10 (entry_at's 4-byte
// word for 1..4, its 8-byte word for 5..8 and its fallback for 9 and 10).
TEST(TxIndexEntry, EveryVarintLengthOfAtReadsBack) {
  EntryArena arena;
  std::vector<Written> written;
  const UtcMicros base = 1'700'000'000'000'000;
  for (unsigned k = 0; k < 64; ++k) {
    for (int sign : {1, -1}) {
      const std::uint64_t step = std::uint64_t{1} << k;
      const auto at = static_cast<UtcMicros>(sign > 0 ? static_cast<std::uint64_t>(base) + step
                                                      : static_cast<std::uint64_t>(base) - step);
      Written w{make("u" + std::to_string(2 * k + (sign > 0)), 7, TxKind::deposit, 1, k == 0 && sign > 0 ? base : at,
                     true),
                0, nullptr, 0};
      w.entry = arena.append(w.tx, PackedUid(w.tx.uid), w.client, w.offset);
      written.push_back(std::move(w));
    }
  }
  ASSERT_EQ(tx_index_detail::chunk_base_of(written.front().entry), base) << "the first entry sets the base";
  for (const Written& w : written) expect_reads_back(arena, w);
}

// The shortest entries (1-character uid, `at` and amount 1 byte each: entry_bytes_min), and entries with a 5-byte
// `at`, fill a chunk to its last byte: entry_at reads only each entry's own bytes, so the last one's read ends
// at the chunk's end (a chunk is its own allocation: under ASan a read past it would fail this test).
TEST(TxIndexEntry, ShortEntriesFillAChunkToItsLastByteAndReadBack) {
  const UtcMicros base = 1'700'000'000'000'000;
  for (const UtcMicros distance : {UtcMicros{1}, UtcMicros{200'000'000}}) {  // zigzag: 1 byte / 5 bytes
    EntryArena arena;
    std::vector<Written> written;
    const TransactionApplied first = make("b", 1, TxKind::deposit, 1, base, false);
    const std::size_t bytes = tx_index_detail::entry_bytes(make("a", 1, TxKind::deposit, 1, base + distance, false),
                                                           PackedUid("a"), 0, base);
    ASSERT_EQ(bytes, distance == 1 ? tx_index_detail::entry_bytes_min : tx_index_detail::entry_bytes_min + 4);
    const std::size_t first_bytes = tx_index_detail::entry_bytes(first, PackedUid("b"), 0, base);
    // Entries after the first until the chunk is full to its last byte (both sizes divide the room exactly).
    const std::size_t room = tx_index_detail::arena_chunk_bytes - tx_index_detail::chunk_base_bytes - first_bytes;
    ASSERT_EQ(room % bytes, 0u);
    Written w0{first, 0, nullptr, 0};
    w0.entry = arena.append(w0.tx, PackedUid(w0.tx.uid), 0, w0.offset);
    written.push_back(w0);
    for (std::size_t k = 0; k < room / bytes; ++k) {
      Written w{make("a", 1, TxKind::deposit, 1, base + distance, false), 0, nullptr, 0};
      w.entry = arena.append(w.tx, PackedUid(w.tx.uid), 0, w.offset);
      written.push_back(std::move(w));
    }
    EXPECT_EQ(arena.memory_bytes(), tx_index_detail::arena_chunk_bytes) << "one chunk, filled";
    EXPECT_EQ(written.back().entry + bytes, written.front().entry - tx_index_detail::chunk_base_bytes +
                                                tx_index_detail::arena_chunk_bytes)
        << "the last entry ends at the chunk's last byte";
    for (const Written& w : written) expect_reads_back(arena, w);
  }
}

// A timeline reads a published entry's `at` while the WAL thread writes the next entries right behind it in the
// arena. entry_at must read only the entry's own bytes: under ThreadSanitizer (scripts/sanitize.sh thread) a read
// that strays into the next entry, even one whose bytes are masked off, is a data race and fails this test.
TEST(TxIndexEntry, APublishedEntryReadsBackWhileTheNextOnesAreWritten) {
  constexpr std::size_t count = 20'000;
  const UtcMicros base = 1'700'000'000'000'000;
  auto at_of = [base](std::size_t k) { return base + static_cast<UtcMicros>(k % 50); };  // 1-byte `at`
  EntryArena arena;
  std::vector<const char*> entries(count, nullptr);
  std::atomic<std::size_t> published{0};  // entries[0, published) are written (the timeline's handoff)
  std::size_t wrong = 0;
  std::thread timeline([&] {
    for (std::size_t seen = 0; seen < count;) {
      seen = published.load(std::memory_order_acquire);
      if (seen == 0) continue;
      if (tx_index_detail::entry_at(entries[seen - 1]) != at_of(seen - 1)) ++wrong;
    }
  });
  for (std::size_t k = 0; k < count; ++k) {
    std::uint32_t offset = 0;
    entries[k] = arena.append(make("a", 1, TxKind::deposit, 1, at_of(k), false), PackedUid("a"), 0, offset);
    published.store(k + 1, std::memory_order_release);
  }
  timeline.join();
  EXPECT_EQ(wrong, 0u);
}

// The packing as first written, one character at a time: a uuid of one case's hex digits (lower-case tried
// first) becomes its 16 bytes, anything else stays raw. PackedUid's 16-at-a-time reading must agree exactly.
PackedUid packed_one_by_one(const std::string& uid) {
  PackedUid want("");
  auto value = [](char c, bool upper) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (!upper && c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (upper && c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  const bool dashes = uid.size() == 36 && uid[8] == '-' && uid[13] == '-' && uid[18] == '-' && uid[23] == '-';
  for (bool upper : {false, true}) {
    if (!dashes) break;
    std::string digits;
    for (std::size_t i = 0; i < uid.size(); ++i) {
      if (i != 8 && i != 13 && i != 18 && i != 23) digits += uid[i];
    }
    bool ok = true;
    for (std::size_t k = 0; k < 16 && ok; ++k) {
      const int high = value(digits[2 * k], upper), low = value(digits[2 * k + 1], upper);
      ok = high >= 0 && low >= 0;
      want.bytes[k] = static_cast<char>(high * 16 + low);
    }
    if (!ok) continue;
    want.form = upper ? tx_index_detail::form_uuid_upper : tx_index_detail::form_uuid_lower;
    want.size = 16;
    return want;
  }
  want.form = tx_index_detail::form_raw;
  want.bytes[0] = static_cast<char>(uid.size());
  std::memcpy(want.bytes + 1, uid.data(), uid.size());
  want.size = static_cast<std::uint8_t>(uid.size() + 1);
  return want;
}

TEST(TxIndexUid, VectorPackingAgreesWithOneCharacterAtATime) {
  // Characters at and beside each range's edges ('/' '0' '9' ':', '@' 'A' 'F' 'G', '`' 'a' 'f' 'g'), bytes
  // with the top bit set, NUL and DEL: the signed compares and the nibble arithmetic must judge each as the
  // plain loop does.
  const std::string edges = std::string("/09:@AFG`afg-\x7f\x80\xb0\xc6\xe6\xff", 19) + std::string(1, '\0');
  const std::string lower = "0123456789abcdef", upper = "0123456789ABCDEF";
  std::mt19937_64 rng(20261201);
  std::size_t forms[3] = {0, 0, 0};
  for (int round = 0; round < 200000; ++round) {
    // A valid uuid of one case (or digits only), then a few characters changed (none in some rounds).
    const std::string& alphabet = (round % 2 == 0) ? lower : upper;
    std::string uid(36, '-');
    for (std::size_t i = 0; i < 36; ++i) {
      if (i != 8 && i != 13 && i != 18 && i != 23) uid[i] = alphabet[rng() % (round % 7 == 0 ? 10 : 16)];
    }
    const int changes = static_cast<int>(rng() % 4);
    for (int c = 0; c < changes; ++c) {
      const std::string& from = (rng() % 2 == 0) ? edges : (round % 2 == 0 ? upper : lower);
      uid[rng() % 36] = from[rng() % from.size()];
    }
    const PackedUid got(uid), want = packed_one_by_one(uid);
    ASSERT_EQ(got.form, want.form) << uid;
    ASSERT_EQ(got.size, want.size) << uid;
    ASSERT_EQ(std::string(got.bytes, got.size), std::string(want.bytes, want.size)) << uid;
    ++forms[got.form];
  }
  // Every form is met many times (else the comparison above proves little).
  for (std::size_t count : forms) EXPECT_GT(count, 10000u);
}

TEST(TxIndexUid, EachDigitLandsInItsNibble) {
  const PackedUid lower("01234567-89ab-cdef-0123-456789abcdef");
  EXPECT_EQ(lower.form, tx_index_detail::form_uuid_lower);
  EXPECT_EQ(std::string(lower.bytes, 16),
            std::string("\x01\x23\x45\x67\x89\xab\xcd\xef\x01\x23\x45\x67\x89\xab\xcd\xef", 16));
  const PackedUid upper("FEDCBA98-7654-3210-FEDC-BA9876543210");
  EXPECT_EQ(upper.form, tx_index_detail::form_uuid_upper);
  EXPECT_EQ(std::string(upper.bytes, 16),
            std::string("\xfe\xdc\xba\x98\x76\x54\x32\x10\xfe\xdc\xba\x98\x76\x54\x32\x10", 16));
  EXPECT_EQ(PackedUid("01234567-89ab-cdef-0123-456789ABCDEF").form, tx_index_detail::form_raw);  // mixed case
  EXPECT_EQ(PackedUid("01234567-8900-1234-5678-901234567890").form, tx_index_detail::form_uuid_lower);
}

// The uuid hash places and shards by its bits: the low 6 pick one of 64 shards, the high ones the table slot.
// Sequential uuid-shaped uids (the generator's), random v4 uuids and uuids one character apart must all spread
// evenly over both (bounds at ~6 standard deviations) and never collide.
TEST(TxIndexUid, UuidHashesSpreadOverShardsAndSlots) {
  std::mt19937_64 rng(15);
  std::vector<std::vector<std::string>> sets(3);
  for (std::uint64_t i = 0; i < 65536; ++i) {
    char text[40];
    std::snprintf(text, sizeof text, "%08llx-0000-4000-8000-%012llx", static_cast<unsigned long long>(i >> 48),
                  static_cast<unsigned long long>(i & 0xffffffffffffULL));
    sets[0].emplace_back(text);
    const std::uint64_t a = rng(), b = rng();
    std::snprintf(text, sizeof text, "%08llx-%04llx-4%03llx-%04llx-%012llx",
                  static_cast<unsigned long long>(a >> 32), static_cast<unsigned long long>((a >> 16) & 0xffff),
                  static_cast<unsigned long long>(a & 0xfff), static_cast<unsigned long long>(b >> 48),
                  static_cast<unsigned long long>(b & 0xffffffffffffULL));
    sets[1].emplace_back(text);
  }
  const std::string base = sets[1][0];
  for (std::size_t at = 0; at < base.size(); ++at) {
    for (int c = 1; c < 256; ++c) {
      std::string uid = base;
      uid[at] = static_cast<char>(base[at] + c);
      sets[2].push_back(uid);
    }
  }
  for (const auto& uids : sets) {
    std::vector<std::size_t> shards(64), slots(256);
    std::vector<std::uint64_t> hashes;
    for (const auto& uid : uids) {
      const std::uint64_t hash = tx_index_detail::hash_uid(uid);
      ++shards[hash % 64];
      ++slots[hash >> 56];
      hashes.push_back(hash);
    }
    const double per_shard = uids.size() / 64.0, per_slot = uids.size() / 256.0;
    for (std::size_t count : shards) EXPECT_NEAR(count, per_shard, 6 * std::sqrt(per_shard)) << uids[0];
    for (std::size_t count : slots) EXPECT_NEAR(count, per_slot, 6 * std::sqrt(per_slot)) << uids[0];
    std::sort(hashes.begin(), hashes.end());
    EXPECT_EQ(std::adjacent_find(hashes.begin(), hashes.end()), hashes.end()) << "a collision among " << uids[0];
  }
}

TEST(TxIndexArena, ManyChunksKeepEveryEntryWhereItWas) {
  std::mt19937_64 rng(15);
  EntryArena arena;
  std::vector<Written> written;
  UtcMicros now = 1'700'000'000'000'000;
  for (int i = 0; i < 20'000; ++i) {
    now += static_cast<UtcMicros>(rng() % 1'000'000);
    // Now and then far in the past or future of its chunk's base: a long varint, either sign.
    const UtcMicros at = rng() % 7 == 0 ? now - static_cast<UtcMicros>(rng() >> 3) + static_cast<UtcMicros>(rng() >> 3)
                                        : now;
    const std::size_t length = 1 + rng() % limits::uid_bytes_max;
    std::string uid(length, 'a');
    for (char& c : uid) c = static_cast<char>('!' + rng() % 94);
    Written w{make(uid, rng() % limits::users_max, rng() % 2 ? TxKind::withdraw : TxKind::deposit,
                   static_cast<MinorUnits>(rng() % (limits::amount_minor_max + 1)), at, rng() % 2 == 0),
              static_cast<std::uint32_t>(rng() % limits::client_names_max), nullptr, 0};
    w.entry = arena.append(w.tx, PackedUid(w.tx.uid), w.client, w.offset);
    written.push_back(std::move(w));
  }
  EXPECT_GT(arena.memory_bytes(), 10 * tx_index_detail::arena_chunk_bytes) << "the entries span many chunks";
  for (std::size_t i = 1; i < written.size(); ++i) ASSERT_LT(written[i - 1].offset, written[i].offset);
  for (const Written& w : written) expect_reads_back(arena, w);
}

}  // namespace
}  // namespace tally
