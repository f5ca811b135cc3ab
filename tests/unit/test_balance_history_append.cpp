// Unit tests for BalanceHistory's append fast path (a leaf keeps its last timestamp): a change after the newest
// moment is judged by the caller's balance and appended without reading the leaf (recovery's
// insert_if_accepted(at, delta, balance)), and insert() appends without the scan. Both must build exactly the
// bytes the scanning insert builds and give its verdicts, under server-clock sequences with ties, backdated
// changes, refusals of both kinds, and histories long enough to split leaves and grow inner levels.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "ledger/balance_history.hpp"
#include "ledger/balance_history_nodes.hpp"
#include "ledger/limits.hpp"
#include "tests/unit/balance_history_model.hpp"

namespace tally {
namespace {

using Ops = BalanceHistoryOps;
using history_test::Model;

// Every node's bytes in tree order, child pointers left out (their targets follow instead).
void dump_node(const Ops::Node* n, std::vector<unsigned char>& out) {
  const auto put = [&](const void* p, std::size_t bytes) {
    const auto* b = static_cast<const unsigned char*>(p);
    out.insert(out.end(), b, b + bytes);
  };
  put(&n->size, sizeof n->size);
  put(&n->cap, sizeof n->cap);
  put(&n->level, sizeof n->level);
  put(&n->last_from, sizeof n->last_from);
  put(&n->used, sizeof n->used);
  if (n->level == 0) {
    put(&Ops::first(n), 8);
    put(&Ops::last(n), 8);
    put(Ops::moments(n), n->used);
    return;
  }
  for (int c = 0; c < Ops::kColumns - 1; ++c) put(Ops::column(n, c), n->size * std::size_t{8});
  for (int i = 0; i < n->size; ++i) dump_node(Ops::kids(n)[i], out);
}

std::vector<unsigned char> bytes_of(const BalanceHistory& h) {
  std::vector<unsigned char> out;
  if (const Ops::Node* root = Ops::root_of(h)) dump_node(root, out);
  return out;
}

enum class Shape { server_clock, ties, random_dates };

// A user's next change: the server's clock (one in ten backdated up to 30 days), many at one instant, or any date.
UtcMicros next_at(Shape shape, UtcMicros& now, std::mt19937_64& rng) {
  switch (shape) {
    case Shape::server_clock:
      now += 1 + static_cast<UtcMicros>(rng() % 40'000'000);
      return rng() % 10 == 0 ? now - static_cast<UtcMicros>(rng() % (30 * 86'400'000'000LL)) : now;
    case Shape::ties:
      if (rng() % 3 == 0) now += static_cast<UtcMicros>(rng() % 3);
      return rng() % 8 == 0 ? now - static_cast<UtcMicros>(rng() % 5) : now;
    case Shape::random_dates:
      break;
  }
  return now + static_cast<UtcMicros>(rng() % (365 * 86'400'000'000LL));
}

// Three histories fed the same changes: the scanning insert_if_accepted (the reference), the one given the
// balance, and judge() + insert(). Same verdicts, same bytes, same memory, after every change.
void run(Shape shape, MinorUnits scale, int users, int changes_max, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  int fast_appends = 0, refused = 0, accepted = 0;
  for (int user = 0; user < users; ++user) {
    BalanceHistory scanned, given, inserted;
    Model m;
    MinorUnits balance = 0;
    UtcMicros now = 1'672'531'200'000'000 + static_cast<UtcMicros>(rng() % 1'000'000'000);
    const int n = 1 + static_cast<int>(rng() % static_cast<std::uint64_t>(changes_max));
    UtcMicros newest = INT64_MIN;
    for (int i = 0; i < n; ++i) {
      const UtcMicros at = next_at(shape, now, rng);
      const auto amount = static_cast<MinorUnits>(rng() % static_cast<std::uint64_t>(scale)) + 1;
      const MinorUnits delta = rng() % 3 == 0 ? -amount : amount;
      const Verdict want = scanned.insert_if_accepted(at, delta);
      ASSERT_EQ(given.insert_if_accepted(at, delta, balance), want) << "user " << user << " change " << i;
      ASSERT_EQ(judge(inserted, at, delta), want);
      if (want != Verdict::accepted) {
        ++refused;
        continue;
      }
      ++accepted;
      if (at > newest) ++fast_appends;
      newest = std::max(newest, at);
      inserted.insert(at, delta);
      balance += delta;
      m.entries.push_back({at, static_cast<std::uint64_t>(i), delta});
      const std::vector<unsigned char> reference = bytes_of(scanned);
      ASSERT_EQ(bytes_of(given), reference) << "user " << user << " change " << i;
      ASSERT_EQ(bytes_of(inserted), reference) << "user " << user << " change " << i;
      ASSERT_EQ(given.memory_bytes(), scanned.memory_bytes());
      ASSERT_EQ(given.balance(), balance);
    }
    history_test::expect_matches(given, m, rng);
    if (::testing::Test::HasFatalFailure()) return;
  }
  // The sequences must exercise both paths and both outcomes, or the comparison proves little.
  EXPECT_GT(fast_appends, accepted / 20);
  EXPECT_LT(fast_appends, accepted);
  EXPECT_GT(refused, 10);
}

TEST(BalanceHistoryAppend, ServerClockWithBackdatedChanges) { run(Shape::server_clock, 500'000, 300, 400, 21); }
TEST(BalanceHistoryAppend, TiesAndNearTies) { run(Shape::ties, 1000, 200, 400, 22); }
TEST(BalanceHistoryAppend, RandomDates) { run(Shape::random_dates, 500'000, 200, 120, 23); }
TEST(BalanceHistoryAppend, NearTheCeiling) {
  run(Shape::server_clock, limits::balance_minor_max / 3, 200, 200, 24);
}

// A leaf's last timestamp follows erases too: dropping the newest moment makes the one before it the newest, and
// the next append is encoded from it (a stale one would misplace the appended moment).
TEST(BalanceHistoryAppend, EraseOfTheNewestMomentMovesLast) {
  std::mt19937_64 rng(25);
  for (int round = 0; round < 200; ++round) {
    BalanceHistory h;
    Model m;
    UtcMicros at = 0;
    const int n = 1 + static_cast<int>(rng() % 150);
    for (int i = 0; i < n; ++i) {
      at += 1 + static_cast<UtcMicros>(rng() % 1000);
      h.insert(at, 5);
      m.entries.push_back({at, static_cast<std::uint64_t>(i), 5});
    }
    h.erase(at, 5);
    m.entries.pop_back();
    h.insert(at + 7, 3);  // after the erased moment: its gap is from the new newest
    m.entries.push_back({at + 7, static_cast<std::uint64_t>(n), 3});
    ASSERT_EQ(Ops::check(h), "") << "round " << round;
    ASSERT_EQ(h.balance_at(at), h.balance() - 3);
    history_test::expect_matches(h, m, rng);
    if (HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace tally
