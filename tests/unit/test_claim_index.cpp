// ClaimIndex: the exactly-once gate. A key is claimed once; duplicates see the committed record or wait;
// a released (refused) key is free again and its waiters are judged anew.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "actors/claim_index.hpp"

namespace {

using Index = tally::ClaimIndex<int>;

TEST(ClaimIndex, FirstClaimWinsAndCommittedIsVisible) {
  Index index;
  EXPECT_EQ(index.claim("a", [] { return [] {}; }).result, Index::ClaimResult::claimed);
  EXPECT_FALSE(index.find_committed("a").has_value()) << "a pending claim must not be readable";
  index.commit("a", 42);
  const auto again = index.claim("a", [] { return [] {}; });
  EXPECT_EQ(again.result, Index::ClaimResult::committed);
  ASSERT_TRUE(again.existing.has_value());
  EXPECT_EQ(*again.existing, 42);
  EXPECT_EQ(index.find_committed("a").value_or(-1), 42);
}

TEST(ClaimIndex, WaitersRunOnCommitAndOnRelease) {
  Index index;
  ASSERT_EQ(index.claim("k", [] { return [] {}; }).result, Index::ClaimResult::claimed);
  int woken = 0;
  EXPECT_EQ(index.claim("k", [&] { return [&] { ++woken; }; }).result, Index::ClaimResult::waiting);
  EXPECT_EQ(index.claim("k", [&] { return [&] { ++woken; }; }).result, Index::ClaimResult::waiting);
  EXPECT_EQ(woken, 0);
  index.release("k");
  EXPECT_EQ(woken, 2);
  EXPECT_EQ(index.size(), 0u);
  // Released: the next claim starts afresh.
  ASSERT_EQ(index.claim("k", [] { return [] {}; }).result, Index::ClaimResult::claimed);
  EXPECT_EQ(index.claim("k", [&] { return [&] { ++woken; }; }).result, Index::ClaimResult::waiting);
  index.commit("k", 7);
  EXPECT_EQ(woken, 3);
}

TEST(ClaimIndex, RestoreRefusesDuplicates) {
  Index index;
  EXPECT_TRUE(index.restore("x", 1));
  EXPECT_FALSE(index.restore("x", 2));
  EXPECT_EQ(index.find_committed("x").value_or(-1), 1);
}

TEST(ClaimIndex, ConcurrentClaimsOfOneKeyHaveExactlyOneWinner) {
  for (int round = 0; round < 50; ++round) {
    Index index;
    std::atomic<int> claimed{0}, waiting{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&] {
        auto result = index.claim("same", [] { return [] {}; }).result;
        if (result == Index::ClaimResult::claimed) ++claimed;
        if (result == Index::ClaimResult::waiting) ++waiting;
      });
    }
    for (auto& thread : threads) thread.join();
    ASSERT_EQ(claimed.load(), 1);
    ASSERT_EQ(waiting.load(), 7);
  }
}

TEST(ClaimIndexDeath, CommitWithoutClaimAborts) {
  Index index;
  EXPECT_DEATH(index.commit("never", 1), "not claimed");
}

}  // namespace
