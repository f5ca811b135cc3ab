// TxIndex: the compact uid store. Claim/commit/release semantics as ClaimIndex, exact round trip of every
// field, growth through many rehashes and arena chunks, and one winner among concurrent claims.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "actors/pending_claims.hpp"
#include "actors/tx_index.hpp"
#include "actors/tx_index_entry.hpp"
#include "ledger/limits.hpp"
#include "record_checks.hpp"

namespace {

using namespace tally;
using tally::testing::same_record;

TransactionApplied tx(std::string uid, UserId user, MinorUnits amount, UtcMicros at = 1000) {
  return TransactionApplied{std::move(uid), user, amount % 2 ? TxKind::withdraw : TxKind::deposit, amount, at,
                            amount % 3 == 0, {}, 0};
}

auto no_retry = [] { return [] {}; };

// Every record is found by its uid, with the same content.
void expect_all_found(const TxIndex& index, const std::vector<TransactionApplied>& all) {
  for (const TransactionApplied& want : all) {
    const auto got = index.find_committed(want.uid);
    ASSERT_TRUE(got.has_value()) << want.uid;
    ASSERT_TRUE(same_record(*got, want));
  }
}

TEST(TxIndex, ClaimCommitFind) {
  TxIndex index;
  EXPECT_EQ(index.claim("a", no_retry).result, TxIndex::ClaimResult::claimed);
  EXPECT_FALSE(index.find_committed("a").has_value()) << "a claim is not durable";
  int woken = 0;
  EXPECT_EQ(index.claim("a", [&] { return [&] { ++woken; }; }).result, TxIndex::ClaimResult::waiting);
  index.commit(tx("a", 7, 1234, -5));
  EXPECT_EQ(woken, 1);
  const auto found = index.find_committed("a");
  ASSERT_TRUE(found.has_value());
  EXPECT_TRUE(same_record(*found, tx("a", 7, 1234, -5)));
  const auto again = index.claim("a", no_retry);
  EXPECT_EQ(again.result, TxIndex::ClaimResult::committed);
  EXPECT_EQ(again.existing->amount, 1234);
  EXPECT_EQ(index.size(), 1u);
}

TEST(TxIndex, ReleaseFreesTheUid) {
  TxIndex index;
  ASSERT_EQ(index.claim("r", no_retry).result, TxIndex::ClaimResult::claimed);
  int woken = 0;
  ASSERT_EQ(index.claim("r", [&] { return [&] { ++woken; }; }).result, TxIndex::ClaimResult::waiting);
  index.release("r");
  EXPECT_EQ(woken, 1);
  EXPECT_EQ(index.size(), 0u);
  EXPECT_EQ(index.claim("r", no_retry).result, TxIndex::ClaimResult::claimed);
}

TEST(TxIndex, ManyRecordsRoundTripExactly) {
  TxIndex index;
  std::mt19937_64 rng(5);
  std::vector<TransactionApplied> all;
  for (int i = 0; i < 200'000; ++i) {
    // Unique (the number ends at '-'), up to 64 long, many sharing prefixes.
    std::string uid = "u" + std::to_string(i) + "-" + std::string(rng() % 50, static_cast<char>('a' + rng() % 26));
    uid.resize(std::min<std::size_t>(uid.size(), 64));
    all.push_back(tx(uid, 1 + rng() % 1'000'000, 1 + static_cast<MinorUnits>(rng() % 1'000'000'000'000ull),
                     static_cast<UtcMicros>(rng())));
    ASSERT_TRUE(index.restore(all.back()));
  }
  EXPECT_FALSE(index.restore(all[123])) << "duplicates are refused";
  EXPECT_EQ(index.size(), all.size());
  expect_all_found(index, all);
  EXPECT_FALSE(index.find_committed("absent").has_value());
  // 18-byte header + the uid's bytes and its length byte + at most ~16 bytes of table (load 0.53..0.8),
  // plus each shard's partly filled last chunk (64 shards x 64 KiB at most).
  std::size_t uid_bytes = 0;
  for (const TransactionApplied& t : all) uid_bytes += t.uid.size() + 1;
  const std::size_t bound = all.size() * (18 + 16) + uid_bytes + 64 * 64 * 1024;
  EXPECT_LE(index.memory_bytes(), bound);
  std::printf("[          ] %zu bytes per transaction (uids average %zu bytes)\n",
              index.memory_bytes() / all.size(), uid_bytes / all.size() - 1);
}

// Canonical hex uuids are stored in 16 bytes; everything else byte for byte. Either way a uid comes back exactly,
// and uids that differ only in case stay different.
TEST(TxIndex, UuidShapedUidsRoundTripExactly) {
  const std::vector<std::string> uids = {
      "0123abcd-4567-89ef-0123-456789abcdef",  // lower-case uuid
      "0123ABCD-4567-89EF-0123-456789ABCDEF",  // the same, upper case: another uid
      "0123abcd-4567-89EF-0123-456789abcdef",  // mixed case: stored raw
      "01234567-8901-2345-6789-012345678901",  // digits only
      "0123abcg-4567-89ef-0123-456789abcdef",  // not hex
      "0123abcd-4567-89ef-0123-456789abcdef0", // too long
      "0123abcd-4567-89ef-0123-456789abcde",   // too short
      "0123abcd04567-89ef-0123-456789abcdef",  // a dash missing
      "0123abcd-4567-89ef-0123-456789abcd-f",  // a dash misplaced
      "-0123abcd-4567-89ef-0123-456789abcde",
      std::string("0123abcd-4567-89ef-0123-456789abcd\0f", 36),
      "ffffffff-ffff-ffff-ffff-ffffffffffff",
      "00000000-0000-0000-0000-000000000000",
  };
  TxIndex index;
  for (std::size_t i = 0; i < uids.size(); ++i) ASSERT_TRUE(index.restore(tx(uids[i], 1 + i, 10 + i))) << uids[i];
  for (const std::string& uid : uids) EXPECT_FALSE(index.restore(tx(uid, 9, 9))) << uid;
  EXPECT_EQ(index.size(), uids.size());
  for (std::size_t i = 0; i < uids.size(); ++i) {
    const auto got = index.find_committed(uids[i]);
    ASSERT_TRUE(got.has_value()) << uids[i];
    EXPECT_EQ(got->uid, uids[i]);
    EXPECT_TRUE(same_record(*got, tx(uids[i], 1 + i, 10 + i))) << uids[i];
  }
  EXPECT_FALSE(index.find_committed("0123abcd-4567-89ef-0123-456789abcdee").has_value());
  EXPECT_FALSE(index.find_committed("0123Abcd-4567-89ef-0123-456789abcdef").has_value());
  EXPECT_FALSE(index.find_committed(std::string(65, 'x')).has_value());
}

// Two uids whose hashes pick the same shard and carry the same 32-bit slot tag: the index must still tell them
// apart by comparing the uids themselves, every byte (the uids share their first half on purpose). Found by a
// bounded search over TxIndex::hash_of (this process's keys), so it does not depend on the index's internals
// beyond "tag = high 32 bits, shard = hash mod 64" (a different split only makes the pair an ordinary one, and the
// checks still hold). A birthday search over 38 bits: ~2^19 candidates expected.
TEST(TxIndex, UidsWhoseHashTagsCollideStayApart) {
  std::unordered_map<std::uint64_t, std::string> seen;
  std::string first, second;
  for (std::uint64_t i = 0; i < 4'000'000 && second.empty(); ++i) {
    std::string uid = "collide-tags-" + std::to_string(i);
    const std::uint64_t h = TxIndex::hash_of(uid).value;
    const auto [it, inserted] = seen.try_emplace((h >> 32) << 6 | (h & 63), uid);
    if (!inserted) {
      first = it->second;
      second = std::move(uid);
    }
  }
  ASSERT_FALSE(second.empty()) << "no colliding pair in 4M candidates";
  seen.clear();
  TxIndex index;
  ASSERT_TRUE(index.restore(tx(first, 1, 100)));
  EXPECT_FALSE(index.find_committed(second).has_value()) << second << " must not find " << first;
  ASSERT_EQ(index.claim(second, no_retry).result, TxIndex::ClaimResult::claimed) << "an unused uid is free";
  index.commit(tx(second, 2, 200));
  const auto a = index.find_committed(first), b = index.find_committed(second);
  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_TRUE(same_record(*a, tx(first, 1, 100)));
  EXPECT_TRUE(same_record(*b, tx(second, 2, 200)));
  EXPECT_EQ(index.size(), 2u);
}

// Every field at its limits survives the packed entry.
TEST(TxIndex, FieldsAtTheirLimitsRoundTrip) {
  TxIndex index;
  const TransactionApplied big{"big", limits::users_max - 1, TxKind::withdraw, limits::amount_minor_max, INT64_MIN,
                               true, {}, 0};
  const TransactionApplied small{"small", 1, TxKind::deposit, 1, INT64_MAX, false, {}, 0};
  ASSERT_TRUE(index.restore(big));
  ASSERT_TRUE(index.restore(small));
  for (const TransactionApplied& want : {big, small}) {
    const auto got = index.find_committed(want.uid);
    ASSERT_TRUE(got.has_value());
    EXPECT_TRUE(same_record(*got, want));
  }
  EXPECT_FALSE(
      index.restore(TransactionApplied{"over", 1, TxKind::deposit, limits::amount_minor_max + 1, 0, true, {}, 0}));
  EXPECT_FALSE(index.restore(TransactionApplied{"nobody", limits::users_max, TxKind::deposit, 1, 0, true, {}, 0}));
}

// Recovery sizes the index up front: a million uuid-keyed transactions then cost ~35 bytes each (16 for the uid,
// ~9 of varint header and client here, ~10 of table) and the tables never regrow.
TEST(TxIndex, ReservedForAMillionUuids) {
  constexpr std::size_t count = 1'000'000;
  TxIndex index;
  index.reserve(count);
  const std::size_t reserved = index.memory_bytes();
  char uid[40];
  for (std::size_t i = 0; i < count; ++i) {
    std::snprintf(uid, sizeof uid, "%08zx-0000-4000-8000-%012zx", (i * 7919) & 0xffffffffu, i);
    ASSERT_TRUE(index.restore(tx(uid, 1 + i % 1000, 1 + i)));
  }
  EXPECT_EQ(index.size(), count);
  std::snprintf(uid, sizeof uid, "%08zx-0000-4000-8000-%012zx", std::size_t{5} * 7919, std::size_t{5});
  EXPECT_FALSE(index.restore(tx(uid, 1, 1)));
  const auto found = index.find_committed(uid);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->uid, uid);
  EXPECT_EQ(found->amount, 6);
  const std::size_t bytes = index.memory_bytes();
  EXPECT_EQ(bytes - reserved, (bytes - reserved) / (64 * 1024) * (64 * 1024)) << "only entry chunks were added";
  EXPECT_LE(bytes, count * (12 + 16 + 14) + 64 * 64 * 1024);
  std::printf("[          ] %zu bytes per uuid-keyed transaction\n", bytes / count);
}

// The staged restore of recovery: entries are written first and placed when settled (explicitly, or by any
// other call): the same index as one by one, and a uid staged twice is reported once, the first one kept.
TEST(TxIndex, StagedRecordsAreSettledExactlyOnce) {
  std::vector<TransactionApplied> all;
  for (int i = 0; i < 90'000; ++i) {
    char uuid[40];
    std::snprintf(uuid, sizeof uuid, "%08x-0000-4000-8000-%012x", i * 2654435761u, i);
    all.push_back(tx(i % 3 ? std::string(uuid) : "staged-" + std::to_string(i), 1 + i % 77, 1 + i, i));
  }
  std::vector<const TransactionApplied*> records;
  for (const TransactionApplied& t : all) records.push_back(&t);
  TxIndex index;
  index.reserve(all.size() / 2);  // an underestimate: settling grows the tables
  ASSERT_EQ(index.stage_bulk(records.data(), records.size() / 2), records.size() / 2);
  EXPECT_TRUE(index.find_committed(all[7].uid).has_value()) << "a lookup settles its shard first";
  ASSERT_EQ(index.stage_bulk(records.data() + records.size() / 2, records.size() - records.size() / 2),
            records.size() - records.size() / 2);
  EXPECT_FALSE(index.settle_staged(1, 2).has_value());
  EXPECT_FALSE(index.settle_staged(0, 2).has_value());
  EXPECT_EQ(index.size(), all.size());
  expect_all_found(index, all);

  const TransactionApplied again = tx(all[4242].uid, 5, 5), twice = tx("twice", 6, 6), twice2 = tx("twice", 7, 7);
  const TransactionApplied* more[] = {&twice, &again, &twice2};
  ASSERT_EQ(index.stage_bulk(more, 3), 3u);
  const auto reused = index.settle_staged();
  ASSERT_TRUE(reused.has_value());
  EXPECT_TRUE(reused->uid == all[4242].uid || reused->uid == "twice") << reused->uid;
  EXPECT_EQ(index.size(), all.size() + 1) << "of the three, only the first \"twice\" is new";
  EXPECT_EQ(index.find_committed(all[4242].uid)->amount, all[4242].amount);
  EXPECT_EQ(index.find_committed("twice")->user_id, 6u);
  const TransactionApplied bad{"", 1, TxKind::deposit, 1, 0, true, {}, 0};
  const TransactionApplied* bad_batch[] = {&twice, &bad};
  EXPECT_EQ(index.stage_bulk(bad_batch, 2), 1u);
  EXPECT_EQ(index.size(), all.size() + 1) << "nothing staged from a batch with a record out of limits";
}

// stage_bulk groups a batch by shard and stages each group under that shard's lock alone: every record still
// gets its own entry, returned in the records' order, with its client (interned before any shard lock). Lookups
// and claims beside it see a staged record whole (it settles their shard) or not at all. Under TSan with its
// lock-order checks (scripts/sanitize.sh thread) this also runs both sides' locking together.
TEST(TxIndex, StagingByShardKeepsEachRecordsEntryAndClient) {
  const char* clients[] = {"", "alice", "bob", "carol-whose-name-is-longer-than-a-short-string"};
  std::vector<TransactionApplied> all;
  for (int i = 0; i < 20'000; ++i) {
    all.push_back(tx("grouped-" + std::to_string(i), 1 + i % 50, 1 + i % 1000, i));
    all.back().client = clients[i % 4];
  }
  std::vector<const TransactionApplied*> records;
  for (const TransactionApplied& t : all) records.push_back(&t);
  TxIndex index;
  std::atomic<bool> staging{true};
  std::atomic<std::size_t> seen{0};
  std::thread beside([&] {
    for (std::size_t k = 0; staging.load() || k < 100; ++k) {
      const TransactionApplied& want = all[(k * 7919) % all.size()];
      if (const auto found = index.find_committed(want.uid)) {
        EXPECT_TRUE(same_record(*found, want));
        seen.fetch_add(1);
      }
      const std::string fresh = "beside-" + std::to_string(k);
      ASSERT_EQ(index.claim(fresh, no_retry).result, TxIndex::ClaimResult::claimed);
      index.release(fresh);
    }
  });
  std::vector<const char*> entries(all.size(), nullptr);
  const std::size_t half = all.size() / 2;
  ASSERT_EQ(index.stage_bulk(records.data(), half, entries.data()), half);
  ASSERT_EQ(index.stage_bulk(records.data() + half, all.size() - half, entries.data() + half), all.size() - half);
  staging.store(false);
  beside.join();
  for (std::size_t i = 0; i < all.size(); ++i) {
    ASSERT_NE(entries[i], nullptr) << i;
    TransactionApplied stored = tx_index_detail::read_entry(entries[i]);
    EXPECT_EQ(tx_index_detail::read_client_ordinal(entries[i]) == 0, all[i].client.empty()) << i;
    stored.client = all[i].client;  // the ordinal's name is checked through find_committed below
    ASSERT_TRUE(same_record(stored, all[i])) << "entry " << i << " is its record's";
  }
  EXPECT_FALSE(index.settle_staged().has_value());
  EXPECT_EQ(index.size(), all.size());
  expect_all_found(index, all);
  std::printf("[          ] %zu staged records seen by lookups while staging\n", seen.load());
}

TEST(TxIndex, ConcurrentClaimsOfOneUidHaveOneWinner) {
  for (int round = 0; round < 50; ++round) {
    TxIndex index;
    std::atomic<int> claimed{0}, waiting{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&] {
        const auto result = index.claim("same", no_retry).result;
        claimed += result == TxIndex::ClaimResult::claimed;
        waiting += result == TxIndex::ClaimResult::waiting;
      });
    }
    for (auto& thread : threads) thread.join();
    ASSERT_EQ(claimed.load(), 1);
    ASSERT_EQ(waiting.load(), 7);
  }
}

TEST(TxIndexDeath, CommitWithoutClaimAborts) {
  TxIndex index;
  EXPECT_DEATH(index.commit(tx("never", 1, 1)), "not claimed");
}

}  // namespace

// The pending-claim table against a std::map model: claims, repeats, waiters and finishes in random order, with
// hashes forced to collide (few distinct homes), through growth and backward-shift deletions.
TEST(PendingClaims, MatchesAModelUnderCollisionsAndDeletions) {
  using Pending = tally::tx_index_detail::PendingClaims<int>;
  Pending pending;
  std::map<std::string, std::vector<int>> model;  // claimed uid -> its waiters
  std::mt19937_64 rng(7);
  auto hash_of = [](const std::string& uid) { return (std::hash<std::string>{}(uid) % 5) << 16; };  // 5 homes
  int next_waiter = 0;
  for (int step = 0; step < 20000; ++step) {
    const std::string uid = "u" + std::to_string(rng() % 300);
    const std::uint64_t hash = hash_of(uid);
    const bool claimed = model.count(uid) != 0;
    if (!claimed || rng() % 3 == 0) {
      const bool inserted = pending.claim(uid, hash);
      ASSERT_EQ(inserted, !claimed) << uid;
      if (inserted) {
        model[uid];
      } else {
        pending.wait(uid, hash, next_waiter);
        model[uid].push_back(next_waiter++);
      }
    } else {
      std::vector<int> waiters;
      pending.finish(uid, hash, waiters);
      ASSERT_EQ(waiters, model[uid]) << uid;
      model.erase(uid);
    }
    ASSERT_EQ(pending.size(), model.size());
  }
  for (auto& [uid, waiters] : model) {
    std::vector<int> got;
    pending.finish(uid, hash_of(uid), got);
    EXPECT_EQ(got, waiters);
  }
  EXPECT_EQ(pending.size(), 0u);
  EXPECT_TRUE(pending.claim("again", hash_of("again")));
}

// A uid of the longest allowed length is kept whole (its bytes are inline in the slot).
TEST(PendingClaims, LongestUidsAreComparedWhole) {
  tally::tx_index_detail::PendingClaims<int> pending;
  const std::string a(limits::uid_bytes_max, 'a');
  std::string b = a;
  b.back() = 'b';
  EXPECT_TRUE(pending.claim(a, 42));
  EXPECT_TRUE(pending.claim(b, 42));
  EXPECT_FALSE(pending.claim(a, 42));
  std::vector<int> waiters;
  pending.finish(b, 42, waiters);
  EXPECT_FALSE(pending.claim(a, 42));
  EXPECT_TRUE(pending.claim(b, 42));
}

namespace {
// A batch's prefetch reads the table without the shard's lock while other threads claim and commit (and grow
// tables): it must never disturb them. Run under TSan it also checks that it races with nothing.
TEST(TxIndex, PrefetchBesideClaimsAndGrowthChangesNothing) {
  TxIndex index;
  index.prefetch("before-any-table");  // no table yet
  std::atomic<bool> done{false};
  std::thread prefetcher([&] {
    std::uint64_t n = 0;
    while (!done.load()) index.prefetch("p-" + std::to_string(n++ % 5000));
  });
  std::vector<TransactionApplied> all;
  for (int i = 0; i < 20000; ++i) {  // grows every shard's table several times
    all.push_back(tx("p-" + std::to_string(i), static_cast<UserId>(i % 7), i + 1));
    ASSERT_EQ(index.claim(all.back().uid, no_retry).result, TxIndex::ClaimResult::claimed);
    index.commit(all.back());
  }
  done = true;
  prefetcher.join();
  EXPECT_EQ(index.size(), all.size());
  expect_all_found(index, all);
}
}  // namespace
