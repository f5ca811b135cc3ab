// TxIndex: the compact uid store. Claim/commit/release semantics as ClaimIndex, exact round trip of every
// field, growth through many rehashes and arena chunks, and one winner among concurrent claims.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "actors/tx_index.hpp"

namespace {

using namespace tally;

TransactionApplied tx(std::string uid, UserId user, MinorUnits amount, UtcMicros at = 1000) {
  return TransactionApplied{std::move(uid), user, amount % 2 ? TxKind::withdraw : TxKind::deposit, amount, at,
                            amount % 3 == 0};
}

auto no_retry = [] { return [] {}; };

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
  EXPECT_TRUE(found->same_request_as(tx("a", 7, 1234, -5)));
  EXPECT_EQ(found->at, -5);
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
  for (const TransactionApplied& want : all) {
    const auto got = index.find_committed(want.uid);
    ASSERT_TRUE(got.has_value()) << want.uid;
    ASSERT_TRUE(got->same_request_as(want));
    ASSERT_EQ(got->at, want.at);
  }
  EXPECT_FALSE(index.find_committed("absent").has_value());
  // 32-byte record + the uid's bytes and its length byte + at most ~22 bytes of table (load 0.375..0.75),
  // plus each shard's partly filled last chunks (64 shards x ~96 KiB at most).
  std::size_t uid_bytes = 0;
  for (const TransactionApplied& t : all) uid_bytes += t.uid.size() + 1;
  const std::size_t bound = all.size() * (32 + 22) + uid_bytes + 64 * (1024 * 32 + 64 * 1024);
  EXPECT_LE(index.memory_bytes(), bound);
  std::printf("[          ] %zu bytes per transaction (uids average %zu bytes)\n",
              index.memory_bytes() / all.size(), uid_bytes / all.size() - 1);
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
