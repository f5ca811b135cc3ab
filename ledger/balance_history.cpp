// Augmented treap behind BalanceHistory: each node caches its subtree's sum and min/max in-order prefix sums,
// so balance-at and "extremes from a moment on" are single O(log n) descents, and judge() is the balance rule.
#include "ledger/balance_history.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "ledger/limits.hpp"

namespace tally {

struct BalanceHistoryOps {
  using Node = BalanceHistory::Node;
  using Index = std::uint32_t;

  // Priority is a pure function of the key (splitmix64 finalizer): no stored field, no RNG state, and the
  // shape is reproducible from the same inserts, which keeps replays and tests deterministic.
  static std::uint64_t priority(UtcMicros at) {
    std::uint64_t z = static_cast<std::uint64_t>(at) + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

  static void pull(std::vector<Node>& nodes, Index i) {
    Node& n = nodes[i];
    const Node& l = nodes[n.left];
    const Node& r = nodes[n.right];
    const MinorUnits through_self = l.sum + n.delta;  // sentinel sum is 0, so this holds without a left child
    MinorUnits lo = through_self;
    MinorUnits hi = through_self;
    if (n.left != 0) {
      lo = std::min(lo, l.min_prefix);
      hi = std::max(hi, l.max_prefix);
    }
    if (n.right != 0) {
      lo = std::min(lo, through_self + r.min_prefix);
      hi = std::max(hi, through_self + r.max_prefix);
    }
    n.sum = through_self + r.sum;
    n.min_prefix = lo;
    n.max_prefix = hi;
  }

  // Splits t into keys < at and keys >= at; with or_equal, into <= and >.
  static void split(std::vector<Node>& nodes, Index t, UtcMicros at, bool or_equal, Index& lo, Index& hi) {
    if (t == 0) {
      lo = hi = 0;
      return;
    }
    const Node& n = nodes[t];
    const bool goes_low = or_equal ? n.at <= at : n.at < at;
    if (goes_low) {
      Index right_lo = 0;
      split(nodes, n.right, at, or_equal, right_lo, hi);
      nodes[t].right = right_lo;
      lo = t;
    } else {
      Index left_hi = 0;
      split(nodes, n.left, at, or_equal, lo, left_hi);
      nodes[t].left = left_hi;
      hi = t;
    }
    pull(nodes, t);
  }

  // Every key in a precedes every key in b.
  static Index merge(std::vector<Node>& nodes, Index a, Index b) {
    if (a == 0) return b;
    if (b == 0) return a;
    if (priority(nodes[a].at) >= priority(nodes[b].at)) {
      const Index merged = merge(nodes, nodes[a].right, b);
      nodes[a].right = merged;
      pull(nodes, a);
      return a;
    }
    const Index merged = merge(nodes, a, nodes[b].left);
    nodes[b].left = merged;
    pull(nodes, b);
    return b;
  }

  static Index allocate(BalanceHistory& h) {
    if (h.nodes_.empty()) h.nodes_.push_back(Node{0, 0, 0, 0, 0, 0, 0, 0});  // the sentinel: all zero
    if (!h.free_.empty()) {
      const Index i = h.free_.back();
      h.free_.pop_back();
      return i;
    }
    if (h.nodes_.size() >= std::numeric_limits<Index>::max()) {
      std::fprintf(stderr, "balance_history: arena full (%zu nodes)\n", h.nodes_.size());
      std::abort();
    }
    h.nodes_.push_back(Node{});
    return static_cast<Index>(h.nodes_.size() - 1);
  }

  // A run of prefix sums summarised by its total and extreme non-empty prefixes.
  struct Run {
    bool empty = true;
    MinorUnits sum = 0;
    MinorUnits min_prefix = 0;
    MinorUnits max_prefix = 0;
  };

  static Run concat(const Run& a, const Run& b) {
    if (a.empty) return b;
    if (b.empty) return a;
    return Run{false, a.sum + b.sum, std::min(a.min_prefix, a.sum + b.min_prefix),
               std::max(a.max_prefix, a.sum + b.max_prefix)};
  }

  static Run subtree_run(const std::vector<Node>& nodes, Index t) {
    if (t == 0) return Run{};
    const Node& n = nodes[t];
    return Run{false, n.sum, n.min_prefix, n.max_prefix};
  }
};

void BalanceHistory::insert(UtcMicros at, MinorUnits delta) {
  using Ops = BalanceHistoryOps;
  Ops::Index lo = 0, rest = 0, moment = 0, hi = 0;
  Ops::split(nodes_, root_, at, false, lo, rest);
  Ops::split(nodes_, rest, at, true, moment, hi);
  if (moment == 0) {
    moment = Ops::allocate(*this);
    nodes_[moment] = Node{at, delta, 1, delta, delta, delta, 0, 0};
  } else {
    // One node per timestamp, so `moment` has no children here.
    nodes_[moment].delta += delta;
    nodes_[moment].changes += 1;
    Ops::pull(nodes_, moment);
  }
  root_ = Ops::merge(nodes_, Ops::merge(nodes_, lo, moment), hi);
  ++live_count_;
}

void BalanceHistory::erase(UtcMicros at, MinorUnits delta) {
  using Ops = BalanceHistoryOps;
  Ops::Index lo = 0, rest = 0, moment = 0, hi = 0;
  Ops::split(nodes_, root_, at, false, lo, rest);
  Ops::split(nodes_, rest, at, true, moment, hi);
  if (moment == 0) {
    std::fprintf(stderr, "balance_history: erase of absent entry (at=%lld)\n", static_cast<long long>(at));
    std::abort();
  }
  nodes_[moment].delta -= delta;
  nodes_[moment].changes -= 1;
  if (nodes_[moment].changes == 0) {
    if (nodes_[moment].delta != 0) {
      std::fprintf(stderr, "balance_history: erase of absent entry (at=%lld: changes do not add up)\n",
                   static_cast<long long>(at));
      std::abort();
    }
    free_.push_back(moment);
    moment = 0;
  } else {
    Ops::pull(nodes_, moment);
  }
  root_ = Ops::merge(nodes_, Ops::merge(nodes_, lo, moment), hi);
  --live_count_;
}

MinorUnits BalanceHistory::balance_at(UtcMicros at) const {
  MinorUnits total = 0;
  std::uint32_t t = root_;
  while (t != 0) {
    const Node& n = nodes_[t];
    if (n.at <= at) {
      total += nodes_[n.left].sum + n.delta;
      t = n.right;
    } else {
      t = n.left;
    }
  }
  return total;
}

MinorUnits BalanceHistory::balance() const { return root_ == 0 ? 0 : nodes_[root_].sum; }

BalanceHistory::Extremes BalanceHistory::extremes_from(UtcMicros at) const {
  using Ops = BalanceHistoryOps;
  // One descent splits the sequence at `at`: everything passed on the way left is later than `at`, and the
  // pieces met deeper come earlier in time, so the suffix is built by prepending as we descend.
  MinorUnits before = 0;
  Ops::Run after;
  std::uint32_t t = root_;
  while (t != 0) {
    const Node& n = nodes_[t];
    if (n.at <= at) {
      before += nodes_[n.left].sum + n.delta;
      t = n.right;
    } else {
      const Ops::Run self{false, n.delta, n.delta, n.delta};
      after = Ops::concat(Ops::concat(self, Ops::subtree_run(nodes_, n.right)), after);
      t = n.left;
    }
  }
  Extremes e;
  e.lowest = before + (after.empty ? 0 : std::min<MinorUnits>(0, after.min_prefix));
  e.highest = before + (after.empty ? 0 : std::max<MinorUnits>(0, after.max_prefix));
  return e;
}

void BalanceHistory::reserve(std::size_t entries) { nodes_.reserve(entries + 1); }

std::size_t BalanceHistory::memory_bytes() const {
  return sizeof(*this) + nodes_.capacity() * sizeof(Node) + free_.capacity() * sizeof(std::uint32_t);
}

Verdict judge(const BalanceHistory& history, UtcMicros at, MinorUnits delta) {
  // The change joins the moment `at`, so the balance at `at` and at every later moment shifts by exactly
  // `delta`, and the moments before `at` are untouched.
  const BalanceHistory::Extremes e = history.extremes_from(at);
  if (e.lowest + delta < 0) return Verdict::insufficient_funds;
  if (e.highest + delta > limits::balance_minor_max) return Verdict::balance_too_large;
  return Verdict::accepted;
}

}  // namespace tally
