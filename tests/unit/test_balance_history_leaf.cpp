// Unit tests for BalanceHistory's delta-encoded leaves (ledger/balance_history_leaf.hpp): the moment codec at
// every varint length boundary, histories whose gaps, sums and counts sit on those boundaries (inserted and
// erased in random order, checked against a model after every edit), short histories shaped like the two
// datasets (random dates over a year; server-clock times with backdated deposits) growing through every block
// size and splitting at the largest, and the sum limit.
#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <random>
#include <utility>
#include <vector>

#include "ledger/balance_history.hpp"
#include "ledger/balance_history_leaf.hpp"
#include "ledger/balance_history_nodes.hpp"
#include "ledger/limits.hpp"
#include "tests/unit/balance_history_model.hpp"

namespace tally {
namespace {

using history_test::Entry;
using history_test::Model;

// Values on each side of every LEB128 length boundary (2^7k - 1, 2^7k), and the extremes.
std::vector<std::uint64_t> boundary_values(std::uint64_t max) {
  std::vector<std::uint64_t> v = {0, 1, max - 1, max};
  for (unsigned k = 1; 7 * k < 64; ++k) {
    const std::uint64_t edge = std::uint64_t{1} << (7 * k);
    if (edge - 1 <= max) v.push_back(edge - 1);
    if (edge <= max) v.push_back(edge);
    if (edge + 1 <= max) v.push_back(edge + 1);
  }
  return v;
}

TEST(BalanceHistoryLeaf, MomentsRoundTripAtEveryVarintBoundary) {
  using namespace history_leaf;
  const std::vector<std::uint64_t> gaps = boundary_values((std::uint64_t{1} << 59) - 2);
  std::vector<MinorUnits> sums = {0, 1, -1, sum_limit - 1, -(sum_limit - 1)};
  for (std::uint64_t v : boundary_values(std::uint64_t{1} << 61)) {
    sums.push_back(static_cast<MinorUnits>(v));
    sums.push_back(-static_cast<MinorUnits>(v));
  }
  const std::vector<std::uint64_t> counts = {1, 2, 3, 129, 130, 131, 16'385, 16'386, UINT64_MAX - 1};
  for (std::uint64_t gap : gaps) {
    for (MinorUnits sum : sums) {
      for (std::uint64_t count : counts) {
        unsigned char bytes[moment_bytes_max + 1];
        bytes[moment_bytes_max] = 0xA5;  // a guard: nothing is written past the moment
        unsigned char* end = put_moment(bytes, gap, sum, count);
        ASSERT_EQ(static_cast<std::size_t>(end - bytes), moment_bytes(gap, sum, count));
        ASSERT_LE(moment_bytes(gap, sum, count), moment_bytes_max);
        ASSERT_EQ(bytes[moment_bytes_max], 0xA5);
        const UtcMicros previous = -(INT64_C(1) << 58) + 1;
        Reader r(bytes, end, previous);
        const Moment m = r.next();
        ASSERT_EQ(m.at, static_cast<UtcMicros>(static_cast<std::uint64_t>(previous) + gap));
        ASSERT_EQ(m.sum, sum) << "gap " << gap << " count " << count;
        ASSERT_EQ(m.count, count);
        ASSERT_TRUE(r.done());
        Reader quick(bytes, end, previous);
        UtcMicros at = 0;
        MinorUnits quick_sum = 0;
        quick.next(at, quick_sum);  // the query path's decode, which skips the count
        ASSERT_EQ(at, m.at);
        ASSERT_EQ(quick_sum, sum);
        ASSERT_TRUE(quick.done());
      }
    }
  }
}

// Inserts every entry in random order, then erases them in another, checking h against the model after each.
void insert_then_erase(std::vector<Entry> entries, std::mt19937_64& rng) {
  BalanceHistory h;
  Model m;
  std::shuffle(entries.begin(), entries.end(), rng);
  for (const Entry& e : entries) {
    h.insert(e.at, e.delta);
    m.entries.push_back(e);
    history_test::expect_matches(h, m, rng);
    if (testing::Test::HasFatalFailure()) return;
  }
  std::shuffle(m.entries.begin(), m.entries.end(), rng);
  while (!m.entries.empty()) {
    const Entry e = m.entries.back();
    m.entries.pop_back();
    h.erase(e.at, e.delta);
    history_test::expect_matches(h, m, rng);
    if (testing::Test::HasFatalFailure()) return;
  }
  EXPECT_EQ(h.memory_bytes(), sizeof(BalanceHistory));
}

TEST(BalanceHistoryLeaf, GapsSumsAndCountsOnVarintBoundaries) {
  std::mt19937_64 rng(11);
  // Timestamps whose gaps to their neighbours are each boundary value, from the lowest storable instant up.
  const UtcMicros lowest = -(INT64_C(1) << 58) + 1;
  std::vector<UtcMicros> at = {lowest};
  for (std::uint64_t gap : boundary_values(std::uint64_t{1} << 50)) {
    if (gap > 0) at.push_back(at.back() + static_cast<UtcMicros>(gap));
  }
  at.push_back((INT64_C(1) << 58) - 1);  // the highest: a gap of nearly 2^59 from the one before
  std::vector<MinorUnits> deltas;
  for (std::uint64_t v : boundary_values(std::uint64_t{1} << 58)) {
    deltas.push_back(static_cast<MinorUnits>(v));
    deltas.push_back(-static_cast<MinorUnits>(v));
  }
  for (int round = 0; round < 6; ++round) {
    std::vector<Entry> entries;
    std::uint64_t seq = 0;
    for (UtcMicros t : at) {
      // Mostly one change a moment; some moments take 2, 3 or 130 (a count of one and two varint bytes).
      const int changes = rng() % 4 != 0 ? 1 : std::vector<int>{2, 3, 130}[rng() % 3];
      for (int c = 0; c < changes; ++c) entries.push_back({t, ++seq, deltas[rng() % deltas.size()]});
    }
    insert_then_erase(entries, rng);
    if (HasFatalFailure()) return;
  }
}

// Short histories as the datasets write them, built and drained against the model; their leaves grow through
// the block sizes, and the longer ones split.
TEST(BalanceHistoryLeaf, ShortHistoriesOfBothDatasetShapes) {
  std::mt19937_64 rng(12);
  constexpr UtcMicros year = 365LL * 86'400'000'000;
  constexpr UtcMicros jan1_2023 = 1'672'531'200'000'000;
  for (int user = 0; user < 120; ++user) {
    const int n = 1 + static_cast<int>(rng() % (user % 4 == 0 ? 300 : 40));
    std::vector<Entry> entries;
    UtcMicros now = jan1_2023 + static_cast<UtcMicros>(rng() % year);
    for (int i = 0; i < n; ++i) {
      UtcMicros at = 0;
      if (user % 2 == 0) {  // generated: any date in the year
        at = jan1_2023 + static_cast<UtcMicros>(rng() % year);
      } else {  // api: the server's clock, one deposit in ten backdated up to 30 days
        now += 1 + static_cast<UtcMicros>(rng() % 40'000'000);
        at = rng() % 10 == 0 ? now - static_cast<UtcMicros>(rng() % (30 * 86'400'000'000LL)) : now;
      }
      const MinorUnits amount = 1 + static_cast<MinorUnits>(rng() % 500'000);
      entries.push_back({at, static_cast<std::uint64_t>(i + 1), rng() % 3 == 0 ? -amount : amount});
    }
    insert_then_erase(entries, rng);
    if (HasFatalFailure()) return;
  }
}

TEST(BalanceHistoryLeaf, TenMomentsOfAYearFitA112ByteBlock) {
  // The generated dataset's user: ten changes on random dates of one year (gaps of weeks: 6-7 bytes), deposits
  // of 10,000 and withdrawals of 100 (3 and 2 bytes): 16 + ~90 bytes, against 16 + 160 with fixed pairs.
  std::mt19937_64 rng(13);
  constexpr UtcMicros year = 365LL * 86'400'000'000;
  std::size_t total = 0;
  for (int user = 0; user < 1000; ++user) {
    BalanceHistory h;
    for (int i = 0; i < 10; ++i) h.insert(static_cast<UtcMicros>(rng() % year), i < 5 ? 10'000 : -100);
    total += h.memory_bytes() - sizeof(BalanceHistory);
  }
  EXPECT_LE(total, 1000u * 120);
}

// insert_if_accepted (recovery's one descent) against judge() then insert(): the same verdicts and histories,
// under backdated, colliding and out-of-order changes of both signs, small balances and ones near the ceiling.
TEST(BalanceHistoryLeaf, InsertIfAcceptedIsJudgeThenInsert) {
  std::mt19937_64 rng(14);
  for (const MinorUnits scale : {MinorUnits{1000}, limits::balance_minor_max / 2}) {
    BalanceHistory judged, fused;
    Model m;
    int accepted = 0, refused = 0;
    for (int i = 0; i < 6000; ++i) {
      const UtcMicros at = static_cast<UtcMicros>(rng() % 3000) * 1000;
      const MinorUnits delta = static_cast<MinorUnits>(rng() % static_cast<std::uint64_t>(scale)) - scale / 2;
      const Verdict want = judge(judged, at, delta);
      if (want == Verdict::accepted) judged.insert(at, delta);
      ASSERT_EQ(fused.insert_if_accepted(at, delta), want) << "op " << i;
      if (want == Verdict::accepted) {
        m.entries.push_back({at, static_cast<std::uint64_t>(i), delta});
        ++accepted;
      } else {
        ++refused;
      }
      if (i % 500 == 0) history_test::expect_matches(fused, m, rng);
      if (HasFatalFailure()) return;
    }
    history_test::expect_matches(fused, m, rng);
    EXPECT_GT(accepted, 1000);
    std::printf("[          ] scale %lld: %d accepted, %d refused\n", static_cast<long long>(scale), accepted, refused);
    EXPECT_GT(refused, 20);
  }
}

TEST(BalanceHistoryLeafDeathTest, AMomentSumBeyondTheLimitAborts) {
  EXPECT_DEATH(
      {
        BalanceHistory h;
        h.insert(10, history_leaf::sum_limit - 1);
        h.insert(10, 1);  // the moment's sum would reach 2^62
      },
      "sum out of range");
  EXPECT_DEATH(
      {
        BalanceHistory h;
        h.insert(10, INT64_MIN);
      },
      "sum out of range");
}

TEST(BalanceHistoryLeaf, SumsJustInsideTheLimitAreKept) {
  BalanceHistory h;
  h.insert(10, history_leaf::sum_limit - 1);
  h.insert(20, -(history_leaf::sum_limit - 1));
  h.insert(15, -(history_leaf::sum_limit - 1));
  EXPECT_EQ(BalanceHistoryOps::check(h), "");
  EXPECT_EQ(h.balance_at(10), history_leaf::sum_limit - 1);
  EXPECT_EQ(h.balance_at(15), 0);
  EXPECT_EQ(h.extremes_from(11).lowest, -(history_leaf::sum_limit - 1));
  h.erase(15, -(history_leaf::sum_limit - 1));
  EXPECT_EQ(h.balance_at(20), 0);
}

}  // namespace
}  // namespace tally
