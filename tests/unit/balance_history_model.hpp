// The brute-force model the BalanceHistory tests check against: sort the entries and walk them.
// A moment is a distinct timestamp; the balance at it includes every change stamped at it.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <tuple>
#include <vector>

#include "ledger/balance_history.hpp"
#include "ledger/balance_history_nodes.hpp"

namespace tally::history_test {

struct Entry {
  UtcMicros at;
  std::uint64_t seq;
  MinorUnits delta;
};

// The obvious O(n log n) answers: sort the entries and walk them.
class Model {
 public:
  std::vector<Entry> entries;

  std::vector<Entry> sorted() const {
    std::vector<Entry> s = entries;
    std::sort(s.begin(), s.end(), [](const Entry& a, const Entry& b) {
      return std::tie(a.at, a.seq) < std::tie(b.at, b.seq);
    });
    return s;
  }
  static MinorUnits balance_at(const std::vector<Entry>& s, UtcMicros t) {
    MinorUnits total = 0;
    for (const Entry& e : s) {
      if (e.at <= t) total += e.delta;
    }
    return total;
  }
  static BalanceHistory::Extremes extremes_from(const std::vector<Entry>& s, UtcMicros t) {
    MinorUnits running = balance_at(s, t);
    BalanceHistory::Extremes x{running, running};
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i].at <= t) continue;
      running += s[i].delta;
      if (i + 1 < s.size() && s[i + 1].at == s[i].at) continue;  // not the end of this moment yet
      x.lowest = std::min(x.lowest, running);
      x.highest = std::max(x.highest, running);
    }
    return x;
  }
};

// Query points that probe every boundary: before everything, each timestamp, its neighbours, after everything.
inline std::vector<UtcMicros> probe_points(const std::vector<Entry>& s, std::mt19937_64& rng) {
  std::vector<UtcMicros> t = {-1'000'000, 0, 1'000'000'000};
  if (!s.empty()) {
    t.push_back(s.front().at - 1);
    t.push_back(s.back().at + 1);
    for (int k = 0; k < 4; ++k) {
      const UtcMicros at = s[rng() % s.size()].at;
      t.push_back(at);
      t.push_back(at - 1);
      t.push_back(at + 1);
    }
  }
  return t;
}

inline void expect_matches(const BalanceHistory& h, const Model& m, std::mt19937_64& rng) {
  ASSERT_EQ(BalanceHistoryOps::check(h), "");  // the tree's own invariants
  const std::vector<Entry> s = m.sorted();
  ASSERT_EQ(h.size(), s.size());
  MinorUnits total = 0;
  for (const Entry& e : s) total += e.delta;
  ASSERT_EQ(h.balance(), total);
  for (UtcMicros t : probe_points(s, rng)) {
    ASSERT_EQ(h.balance_at(t), Model::balance_at(s, t)) << "t=" << t;
    const BalanceHistory::Extremes got = h.extremes_from(t);
    const BalanceHistory::Extremes want = Model::extremes_from(s, t);
    ASSERT_EQ(got.lowest, want.lowest) << "t=" << t;
    ASSERT_EQ(got.highest, want.highest) << "t=" << t;
  }
}

}  // namespace tally::history_test
