// Internal to ledger/balance_history*.cpp: the node layout of BalanceHistory's B+-tree and the helpers both
// files share (queries in balance_history.cpp, edits in balance_history_edit.cpp). Only its unit tests include
// it besides, for BalanceHistoryOps::check.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <unordered_map>
#include <utility>

#include "ledger/balance_history.hpp"
#include "ledger/size_class_steps.hpp"

namespace tally {

// A node is one heap block: this 8-byte header (an inner node adds an 8-byte total used at the root), then
// `columns` arrays of `cap` 8-byte slots, slot i of each array describing the same moment or child:
//   leaf  (level 0):  word[cap] = timestamp << 5 | change count, delta[cap] = the sum of that moment's changes
//   inner (level 1+): sep[cap], sum[cap], lo[cap], hi[cap], kid[cap]
// A change count of 1..30 is the count; 31 means "31 or more, see Overflow". sep[i] (i >= 1) is a timestamp
// <= every timestamp in kid[i] and > every timestamp in kid[i-1]; routing ignores sep[0], which is only exact
// in a node fresh from a split (where it becomes the node's separator in its parent). sum/lo/hi summarise
// kid[i]'s moments as a Run. Every node holds at least one slot, except a root leaf.
struct BalanceHistory::Node {
  std::uint16_t size;  // moments (leaf) or children (inner) in use
  std::uint16_t cap;   // slots allocated; grows in the steps of cap_for
  std::uint8_t level;  // 0 = leaf
};

struct BalanceHistory::Overflow {
  std::unordered_map<UtcMicros, std::uint64_t> counts;  // the change count of each moment with 31 or more
};

struct BalanceHistoryOps {
  using Node = BalanceHistory::Node;
  using Slot = std::array<std::uint64_t, 5>;  // one slot's values, column by column (their bits)

  static constexpr int kLeafMax = 63;
  static constexpr int kInnerMax = 31;
  static constexpr int kDepthMax = 24;  // inner levels; each takes 16x the inserts of the one below: unreachable
  static constexpr int kCountBits = 5;
  static constexpr std::int64_t kCountMask = (1 << kCountBits) - 1;
  static constexpr UtcMicros kAtLimit = INT64_C(1) << 58;  // storable timestamps are in (-kAtLimit, kAtLimit)

  // A non-empty run of consecutive moments: its total and the lowest and highest balance after each of its
  // moments, relative to the balance before it.
  struct Run {
    MinorUnits sum, lo, hi;
  };
  static Run concat(const Run& a, const Run& b) {
    return Run{a.sum + b.sum, std::min(a.lo, a.sum + b.lo), std::max(a.hi, a.sum + b.hi)};
  }

  // Layout.
  static int columns(int level) { return level == 0 ? 2 : 5; }
  static constexpr std::size_t kNodeHeaderBytes = 8;
  static std::size_t header_bytes(int level) { return level == 0 ? kNodeHeaderBytes : 2 * kNodeHeaderBytes; }
  static std::size_t node_bytes(int level, int cap) {
    return header_bytes(level) + static_cast<std::size_t>(columns(level)) * 8 * static_cast<std::size_t>(cap);
  }
  static char* column(const Node* n, int c) {
    // Nodes are only ever reached through the history that owns them; constness is the history's.
    char* base = reinterpret_cast<char*>(const_cast<Node*>(n));
    return base + header_bytes(n->level) + static_cast<std::size_t>(c) * 8 * n->cap;
  }
  static std::int64_t* words(const Node* n) { return reinterpret_cast<std::int64_t*>(column(n, 0)); }
  static MinorUnits* deltas(const Node* n) { return reinterpret_cast<MinorUnits*>(column(n, 1)); }
  static UtcMicros* seps(const Node* n) { return reinterpret_cast<UtcMicros*>(column(n, 0)); }
  static MinorUnits* sums(const Node* n) { return reinterpret_cast<MinorUnits*>(column(n, 1)); }
  static MinorUnits* los(const Node* n) { return reinterpret_cast<MinorUnits*>(column(n, 2)); }
  static MinorUnits* his(const Node* n) { return reinterpret_cast<MinorUnits*>(column(n, 3)); }
  static Node** kids(const Node* n) { return reinterpret_cast<Node**>(column(n, 4)); }
  // Bytes of every node of the tree; kept in the root when it is an inner node, in the 8 bytes after the header.
  // Not at `n + 1`: sizeof(Node) is 6, so that address is misaligned (UBSan's finding) and not the slot the
  // layout reserves.
  static std::int64_t& tree_bytes(Node* n) {
    static_assert(sizeof(Node) <= kNodeHeaderBytes, "the header must fit its 8 bytes");
    return *reinterpret_cast<std::int64_t*>(reinterpret_cast<char*>(n) + kNodeHeaderBytes);
  }

  // Capacities grow by about 1.25x so a short history wastes little. Each step is the most slots whose node fills
  // one of jemalloc's size classes (16 B apart up to 128, then 4 classes per doubling): a leaf of cap c takes
  // 8 + 16c bytes (cap 63: 1,016 of the 1,024 class; 64 would take 1,032 of the 1,280 one), an inner node
  // 16 + 40c. So 63 moments or 31 children at most.
  static int cap_for(int level, int slots) {
    static constexpr int kLeafSteps[] = {1, 2, 3, 4, 5, 6, 7, 9, 11, 13, 15, 19, 23, 27, 31, 39, 47, 55, 63};
    static constexpr int kInnerSteps[] = {1, 2, 3, 4, 5, 6, 7, 9, 10, 12, 15, 18, 22, 25, 31};
    return level == 0 ? first_step_holding(kLeafSteps, slots, kLeafMax)
                      : first_step_holding(kInnerSteps, slots, kInnerMax);
  }
  static int max_slots(int level) { return level == 0 ? kLeafMax : kInnerMax; }

  static std::int64_t pack(UtcMicros at, std::int64_t count) {
    return static_cast<std::int64_t>(static_cast<std::uint64_t>(at) << kCountBits) | count;
  }
  static UtcMicros at_of(std::int64_t word) { return word >> kCountBits; }  // arithmetic shift (gcc, clang)

  // How many of v[0..n) are <= key, v sorted. Most edits and queries are at or after the newest moment, so
  // that case is checked first.
  static int count_through(const std::int64_t* v, int n, std::int64_t key) {
    if (n == 0 || v[n - 1] <= key) return n;
    return static_cast<int>(std::upper_bound(v, v + n - 1, key) - v);
  }
  // How many of the leaf's moments are stamped at or before `at` (any int64, stored range or not).
  static int moments_through(const Node* leaf, UtcMicros at) {
    const std::int64_t key = at >= kAtLimit ? INT64_MAX : at <= -kAtLimit ? INT64_MIN : pack(at, kCountMask);
    return count_through(words(leaf), leaf->size, key);
  }
  // The child whose timestamps may include `at`: the last one whose separator is <= at, or the first.
  static int route(const Node* n, UtcMicros at) { return count_through(seps(n) + 1, n->size - 1, at); }
  // v[0] + ... + v[i-1], given the sum of all n: adds whichever side is shorter.
  static MinorUnits sum_before(const MinorUnits* v, int i, int n, MinorUnits total) {
    MinorUnits s = 0;
    if (2 * i <= n) {
      for (int j = 0; j < i; ++j) s += v[j];
      return s;
    }
    for (int j = i; j < n; ++j) s += v[j];
    return total - s;
  }

  // Summaries of slots [from, to), from < to.
  static Run leaf_run(const Node* leaf, int from, int to) {
    const MinorUnits* d = deltas(leaf);
    MinorUnits s = d[from], lo = s, hi = s;
    for (int j = from + 1; j < to; ++j) {
      s += d[j];
      lo = std::min(lo, s);
      hi = std::max(hi, s);
    }
    return Run{s, lo, hi};
  }
  static Run inner_run(const Node* n, int from, int to) {
    Run r{sums(n)[from], los(n)[from], his(n)[from]};
    for (int j = from + 1; j < to; ++j) r = concat(r, Run{sums(n)[j], los(n)[j], his(n)[j]});
    return r;
  }
  static Run run_of(const Node* n) { return n->level == 0 ? leaf_run(n, 0, n->size) : inner_run(n, 0, n->size); }
  static UtcMicros sep_of(const Node* n) { return n->level == 0 ? at_of(words(n)[0]) : seps(n)[0]; }

  static std::size_t tree_bytes_of(const BalanceHistory& h) {
    if (h.root_ == nullptr) return 0;
    if (h.root_->level == 0) return node_bytes(0, h.root_->cap);
    return static_cast<std::size_t>(tree_bytes(h.root_));
  }

  // Whole trees (balance_history.cpp).
  static Node* clone(const Node* n);
  static void destroy(Node* n);
  // Every invariant above, checked the long way (for tests): empty when they hold, else the first that broke.
  static std::string check(const BalanceHistory& h);
  struct CheckWalk;
  static Run check_node(const Node* n, bool is_root, const UtcMicros* lo, const UtcMicros* hi, CheckWalk& w);

  // Edits (balance_history_edit.cpp).
  struct Edit;
  struct Path {
    Node* node[kDepthMax];
    int index[kDepthMax];
    int depth = 0;
  };
  static Node* descend(Node* root, UtcMicros at, Path& path);
  static void count_up(BalanceHistory& h, std::int64_t& word);
  static void count_down(BalanceHistory& h, std::int64_t& word);
  static void open_slot(Node* n, int pos, const Slot& v);
  static void close_slot(Node* n, int pos);
  static Node* resized(Node* n, int cap, Edit& e);
  static std::pair<Node*, Node*> split(Node* n, int pos, const Slot& v, Edit& e);
  static std::pair<Node*, Node*> place(Node* n, int pos, const Slot& v, Edit& e);
  static Slot entry(Node* child);
  static void set_entry(Node* parent, int i, Node* child);
  static void fix_up(BalanceHistory& h, const Path& path, Node* cur, Node* extra, const Run* appended, Edit& e);
  static void fix_down(BalanceHistory& h, const Path& path, Node* cur, Edit& e);
};

}  // namespace tally
