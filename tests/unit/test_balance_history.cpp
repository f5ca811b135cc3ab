// Unit tests for ledger/balance_history: its answers against a brute-force model of sorted entries, the
// never-negative rule (judge) against exhaustive checks of every moment, worked examples, a scale run.
// A moment is a distinct timestamp; the balance at it includes every change stamped at it. The tree's own
// properties (splits, memory, counts) are in test_balance_history_tree.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <random>
#include <tuple>
#include <vector>

#include "ledger/balance_history.hpp"
#include "ledger/limits.hpp"
#include "tests/unit/balance_history_model.hpp"

namespace tally {
namespace {

using history_test::Entry;
using history_test::expect_matches;
using history_test::Model;

TEST(BalanceHistoryProperty, MatchesBruteForceUnderRandomInsertsAndErases) {
  std::mt19937_64 rng(0xBA1A'4CE5);
  BalanceHistory h;
  Model m;
  std::uint64_t seq = 0;
  for (int op = 0; op < 6'000; ++op) {
    const bool erase = !m.entries.empty() && rng() % 5 < 2;
    if (erase) {
      // Mostly random victims; sometimes the newest, as a rollback would.
      const std::size_t i = rng() % 3 == 0 ? m.entries.size() - 1 : rng() % m.entries.size();
      h.erase(m.entries[i].at, m.entries[i].delta);
      m.entries.erase(m.entries.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      // 150 distinct timestamps over thousands of inserts: heavy collisions, arriving in random order.
      const UtcMicros at = static_cast<UtcMicros>(rng() % 150) * 1000;
      const MinorUnits delta = static_cast<MinorUnits>(rng() % 2'000'001) - 1'000'000;
      h.insert(at, delta);
      ++seq;
      m.entries.push_back({at, seq, delta});
    }
    expect_matches(h, m, rng);
    if (HasFatalFailure()) return;
  }
  // Drain to empty: an empty history answers zeros everywhere.
  while (!m.entries.empty()) {
    const std::size_t i = rng() % m.entries.size();
    h.erase(m.entries[i].at, m.entries[i].delta);
    m.entries.erase(m.entries.begin() + static_cast<std::ptrdiff_t>(i));
    expect_matches(h, m, rng);
    if (HasFatalFailure()) return;
  }
  EXPECT_EQ(h.balance(), 0);
  EXPECT_EQ(h.extremes_from(0).lowest, 0);
  EXPECT_EQ(h.extremes_from(0).highest, 0);
}

// Where a new entry goes in a sorted history: after every entry at or before its timestamp (its seq is the
// largest so far).
std::vector<Entry>::iterator insertion_point(std::vector<Entry>& sorted, UtcMicros at) {
  return std::find_if(sorted.begin(), sorted.end(), [&](const Entry& e) { return e.at > at; });
}

// What the rule says, computed the long way: walk the balance at every moment with the candidate in place and
// check each one from the candidate's timestamp on.
Verdict brute_verdict(std::vector<Entry> sorted, UtcMicros at, std::uint64_t seq, MinorUnits delta) {
  sorted.insert(insertion_point(sorted, at), Entry{at, seq, delta});
  MinorUnits running = 0;
  bool low_fails = false, high_fails = false;
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    const Entry& e = sorted[i];
    running += e.delta;
    if (e.at < at) continue;
    if (i + 1 < sorted.size() && sorted[i + 1].at == e.at) continue;  // only whole moments count
    low_fails = low_fails || running < 0;
    high_fails = high_fails || running > limits::balance_minor_max;
  }
  if (low_fails) return Verdict::insufficient_funds;
  if (high_fails) return Verdict::balance_too_large;
  return Verdict::accepted;
}

// No moment is out of range, computed from the entries and as the history itself reports it.
void expect_every_moment_in_range(const BalanceHistory& h, const std::vector<Entry>& sorted) {
  MinorUnits running = 0;
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    running += sorted[i].delta;
    if (i + 1 == sorted.size() || sorted[i + 1].at != sorted[i].at) {
      ASSERT_GE(running, 0) << "moment " << sorted[i].at;
      ASSERT_LE(running, limits::balance_minor_max) << "moment " << sorted[i].at;
      ASSERT_EQ(h.balance_at(sorted[i].at), running) << "t=" << sorted[i].at;
    }
  }
  ASSERT_EQ(h.balance(), running);
}

struct RuleRun {
  int accepted = 0, insufficient = 0, too_large = 0;
  int rejected_only_by_later_moments = 0;  // the change alone fits at `at`; a later moment breaks
};

// Proposes random changes at random (out-of-order, colliding) timestamps and applies only what judge()
// accepts, as the service does.
RuleRun run_rule_property(std::uint64_t seed, MinorUnits amount_max, unsigned deposit_percent, int proposals) {
  std::mt19937_64 rng(seed);
  BalanceHistory h;
  std::vector<Entry> sorted;
  RuleRun r;
  std::uniform_int_distribution<MinorUnits> amount(1, amount_max);
  for (std::uint64_t seq = 1; seq <= static_cast<std::uint64_t>(proposals); ++seq) {
    const UtcMicros at = static_cast<UtcMicros>(rng() % 400) * 10;
    const MinorUnits a = amount(rng);
    const MinorUnits delta = rng() % 100 < deposit_percent ? a : -a;
    const Verdict v = judge(h, at, delta);
    EXPECT_EQ(v, brute_verdict(sorted, at, seq, delta)) << "seq=" << seq << " at=" << at << " delta=" << delta;
    if (v == Verdict::accepted) {
      ++r.accepted;
      h.insert(at, delta);
      sorted.insert(insertion_point(sorted, at), Entry{at, seq, delta});
      expect_every_moment_in_range(h, sorted);
    } else {
      ++(v == Verdict::insufficient_funds ? r.insufficient : r.too_large);
      const MinorUnits then = h.balance_at(at) + delta;
      if (then >= 0 && then <= limits::balance_minor_max) ++r.rejected_only_by_later_moments;
    }
    if (testing::Test::HasFailure()) break;
  }
  std::printf("[          ] accepted=%d insufficient_funds=%d balance_too_large=%d (only by later moments: %d)\n",
              r.accepted, r.insufficient, r.too_large, r.rejected_only_by_later_moments);
  return r;
}

TEST(BalanceHistoryProperty, JudgeEqualsTheNeverNegativeRuleSmallAmounts) {
  const RuleRun r = run_rule_property(7, 10'000, 45, 5'000);
  EXPECT_GT(r.accepted, 1000);
  EXPECT_GT(r.insufficient, 200);
  EXPECT_GT(r.rejected_only_by_later_moments, 100);
}

TEST(BalanceHistoryProperty, JudgeEqualsTheRuleNearTheBalanceCeiling) {
  const RuleRun r = run_rule_property(11, limits::amount_minor_max, 60, 5'000);
  EXPECT_GT(r.accepted, 1000);
  EXPECT_GT(r.insufficient, 0);
  EXPECT_GT(r.too_large, 300);
  EXPECT_GT(r.rejected_only_by_later_moments, 100);
}

TEST(BalanceHistory, WorkedExampleBackdatedWithdrawals) {
  BalanceHistory h;
  ASSERT_EQ(judge(h, 10, 100), Verdict::accepted);
  h.insert(10, 100);
  ASSERT_EQ(judge(h, 20, -60), Verdict::accepted);
  h.insert(20, -60);
  EXPECT_EQ(h.balance(), 40);
  // At t=5 the balance is 0, so withdrawing 50 there would make it -50 from t=5 until t=10.
  EXPECT_EQ(judge(h, 5, -50), Verdict::insufficient_funds);
  // At t=15 the balance is 100 and at t=20 it is 40; withdrawing 40 at t=15 leaves 60 then exactly 0.
  EXPECT_EQ(judge(h, 15, -40), Verdict::accepted);
  EXPECT_EQ(judge(h, 15, -41), Verdict::insufficient_funds);
  // Withdrawing 60 at t=15 would be fine at t=15 (40 left) but drive t=20 to -20.
  EXPECT_EQ(judge(h, 15, -60), Verdict::insufficient_funds);
  h.insert(15, -40);
  EXPECT_EQ(h.balance_at(14), 100);
  EXPECT_EQ(h.balance_at(15), 60);
  EXPECT_EQ(h.balance_at(20), 0);
  EXPECT_EQ(h.balance(), 0);
  EXPECT_EQ(judge(h, 25, -1), Verdict::insufficient_funds);
  EXPECT_EQ(judge(h, 12, -1), Verdict::insufficient_funds);
  EXPECT_EQ(judge(h, 9, 1), Verdict::accepted);
  const BalanceHistory::Extremes e = h.extremes_from(0);
  EXPECT_EQ(e.lowest, 0);
  EXPECT_EQ(e.highest, 100);
}

TEST(BalanceHistory, ChangesAtOneInstantFormOneMoment) {
  BalanceHistory h;
  h.insert(10, 100);
  h.insert(30, 5);
  h.insert(10, -70);
  h.insert(10, 20);
  EXPECT_EQ(h.size(), 4u);
  EXPECT_EQ(h.balance_at(9), 0);
  EXPECT_EQ(h.balance_at(10), 50);
  EXPECT_EQ(h.balance_at(30), 55);
  // The moments are t=10 (50) and t=30 (55); the arrival order inside t=10 (100, 30, 50) is no moment.
  BalanceHistory::Extremes e = h.extremes_from(9);
  EXPECT_EQ(e.lowest, 0);
  EXPECT_EQ(e.highest, 55);
  e = h.extremes_from(10);
  EXPECT_EQ(e.lowest, 50);
  EXPECT_EQ(e.highest, 55);
  EXPECT_EQ(judge(h, 10, -50), Verdict::accepted);
  EXPECT_EQ(judge(h, 10, -51), Verdict::insufficient_funds);
  // Taking back the -70 lifts the moment t=10 to 120.
  h.erase(10, -70);
  e = h.extremes_from(9);
  EXPECT_EQ(e.lowest, 0);
  EXPECT_EQ(e.highest, 125);
  EXPECT_EQ(h.balance_at(10), 120);
  EXPECT_EQ(h.size(), 3u);
}

TEST(BalanceHistory, WithdrawThenDepositAtOneInstantDoesNotBlockEarlierWithdrawals) {
  // 100 on day 1; on day 2 a withdrawal of 100 and a deposit of 100 arrive in that order: day 2 holds 100.
  BalanceHistory h;
  h.insert(1, 100);
  h.insert(2, -100);
  h.insert(2, 100);
  EXPECT_EQ(h.extremes_from(1).lowest, 100);
  EXPECT_EQ(judge(h, 1, -50), Verdict::accepted);
  EXPECT_EQ(judge(h, 1, -100), Verdict::accepted);
  EXPECT_EQ(judge(h, 1, -101), Verdict::insufficient_funds);
}

TEST(BalanceHistory, CeilingRejectsAsBalanceTooLarge) {
  BalanceHistory h;
  h.insert(10, limits::balance_minor_max - 5);
  h.insert(20, -1000);
  EXPECT_EQ(judge(h, 15, 5), Verdict::accepted);
  EXPECT_EQ(judge(h, 15, 6), Verdict::balance_too_large);
  EXPECT_EQ(judge(h, 5, 6), Verdict::balance_too_large);  // the peak at t=10 is still ahead
  EXPECT_EQ(judge(h, 20, 1005), Verdict::accepted);
  EXPECT_EQ(judge(h, 20, 1006), Verdict::balance_too_large);
  // A later drain to zero limits withdrawals but not deposits between the peak and the drain.
  h.insert(30, -(limits::balance_minor_max - 1005));
  EXPECT_EQ(h.balance(), 0);
  EXPECT_EQ(judge(h, 15, 6), Verdict::balance_too_large);
  EXPECT_EQ(judge(h, 15, 5), Verdict::accepted);
  EXPECT_EQ(judge(h, 25, -1), Verdict::insufficient_funds);
  EXPECT_EQ(judge(h, 35, -1), Verdict::insufficient_funds);
}

TEST(BalanceHistory, EmptyHistory) {
  const BalanceHistory h;
  EXPECT_EQ(h.size(), 0u);
  EXPECT_EQ(h.balance(), 0);
  EXPECT_EQ(h.balance_at(INT64_MAX), 0);
  EXPECT_EQ(h.extremes_from(INT64_MIN).lowest, 0);
  EXPECT_EQ(h.extremes_from(INT64_MIN).highest, 0);
  EXPECT_EQ(judge(h, 0, -1), Verdict::insufficient_funds);
  EXPECT_EQ(judge(h, 0, 1), Verdict::accepted);
  EXPECT_EQ(judge(h, 0, limits::balance_minor_max + 1), Verdict::balance_too_large);
}

TEST(BalanceHistory, DrainingReleasesEveryBlock) {
  BalanceHistory h;
  const std::size_t empty = h.memory_bytes();
  EXPECT_EQ(empty, sizeof(BalanceHistory));
  for (int i = 0; i < 1000; ++i) h.insert(i % 37, 1);
  EXPECT_GT(h.memory_bytes(), empty);
  for (int i = 0; i < 1000; ++i) h.erase(i % 37, 1);
  EXPECT_EQ(h.size(), 0u);
  EXPECT_EQ(h.balance(), 0);
  EXPECT_EQ(h.memory_bytes(), empty);
  for (int i = 0; i < 1000; ++i) h.insert(i % 37, 2);
  EXPECT_EQ(h.balance(), 2000);
  EXPECT_EQ(h.balance_at(18), 2 * (28 + 18 * 27));  // 1000 = 27 * 37 + 1: t=0 has 28 changes, the rest 27
}

TEST(BalanceHistory, ReserveSizesTheFirstBlock) {
  BalanceHistory h;
  h.reserve(10);
  const std::size_t reserved = h.memory_bytes();
  EXPECT_GE(reserved, sizeof(BalanceHistory) + 16 + 10 * 8);  // the leaf's header, ~8 bytes a moment
  EXPECT_EQ(h.balance_at(0), 0);
  EXPECT_EQ(h.extremes_from(0).lowest, 0);
  for (int i = 0; i < 10; ++i) h.insert(i, 1);
  EXPECT_EQ(h.memory_bytes(), reserved);  // no growth within the reserve
  h.reserve(100'000);                        // a hint: one leaf's worth at most (a 256-byte block)
  EXPECT_EQ(h.memory_bytes(), sizeof(BalanceHistory) + 256);
  EXPECT_EQ(h.balance_at(4), 5);
}

TEST(BalanceHistoryDeathTest, EraseOfAbsentEntryAborts) {
  EXPECT_DEATH(
      {
        BalanceHistory h;
        h.erase(10, 1);
      },
      "absent");
  EXPECT_DEATH(
      {
        BalanceHistory h;
        h.insert(10, 100);
        h.insert(20, 100);
        h.erase(15, 100);  // no change at that instant
      },
      "absent");
  EXPECT_DEATH(
      {
        BalanceHistory h;
        h.insert(10, 100);
        h.erase(10, 100);
        h.erase(10, 100);
      },
      "absent");
  EXPECT_DEATH(
      {
        BalanceHistory h;
        h.insert(10, 100);
        h.erase(10, 99);  // the last change at t=10 must take the moment back to nothing
      },
      "absent");
}

TEST(BalanceHistoryScale, TwoHundredThousandRandomInserts) {
  std::mt19937_64 rng(2024);
  BalanceHistory h;
  std::vector<Entry> entries;
  constexpr int kCount = 200'000;
  entries.reserve(kCount);
  MinorUnits total = 0;
  for (int i = 0; i < kCount; ++i) {
    const UtcMicros at = static_cast<UtcMicros>(rng() % 1'000'000'000'000ull);
    const MinorUnits delta = static_cast<MinorUnits>(rng() % 2'000'001) - 1'000'000;
    h.insert(at, delta);
    entries.push_back({at, static_cast<std::uint64_t>(i + 1), delta});
    total += delta;
  }
  EXPECT_EQ(h.size(), static_cast<std::size_t>(kCount));
  EXPECT_EQ(h.balance(), total);
  Model m;
  m.entries = std::move(entries);
  const std::vector<Entry> s = m.sorted();
  for (int k = 0; k < 20; ++k) {
    const UtcMicros t = k == 0 ? -1 : s[rng() % s.size()].at;
    EXPECT_EQ(h.balance_at(t), Model::balance_at(s, t));
    const BalanceHistory::Extremes got = h.extremes_from(t), want = Model::extremes_from(s, t);
    EXPECT_EQ(got.lowest, want.lowest);
    EXPECT_EQ(got.highest, want.highest);
  }
}

}  // namespace
}  // namespace tally
