// Internal to ledger/balance_history*.cpp: the node layout of BalanceHistory's B+-tree and the helpers its files
// share (queries in balance_history.cpp, edits in balance_history_edit.cpp and balance_history_leaf_edit.cpp; a
// leaf's moment encoding in balance_history_leaf.hpp). Only its unit tests include it besides, for
// BalanceHistoryOps::check.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <new>
#include <string>
#include <utility>

#include "ledger/balance_history.hpp"
#include "ledger/balance_history_leaf.hpp"
#include "ledger/limits.hpp"
#include "ledger/size_class_steps.hpp"

namespace tally {

// A node is one heap block: this 8-byte header, then 8 bytes (a leaf's first timestamp; an inner root's byte total
// of the tree), then
//   leaf  (level 0):  8 bytes, its last moment's timestamp (an append needs it, and a scan was the cost of every
//                     append: restart's history build and each PUT), then its moments, delta-encoded
//                     (balance_history_leaf.hpp): `used` bytes of a `cap`-byte block
//   inner (level 1+): `columns` arrays of `cap` 8-byte slots, slot i of each describing the same child:
//                     sep[cap], sum[cap], lo[cap], hi[cap], kid[cap]
// sep[i] (i >= 1) is a timestamp <= every timestamp in kid[i] and > every timestamp in kid[i-1]; routing ignores
// sep[0], which is only exact in a node fresh from a split (where it becomes the node's separator in its parent).
// sum/lo/hi summarise kid[i]'s moments as a Run. Every node holds at least one moment or child, except a root leaf.
struct BalanceHistory::Node {
  std::uint16_t size;  // moments (leaf) or children (inner) in use
  std::uint16_t cap;   // a leaf's block bytes, an inner node's slots; grows in the steps of cap_for
  std::uint8_t level;  // 0 = leaf
  std::uint8_t last_from;  // where a leaf's last moment starts in its moments (a tie with it is re-encoded there)
  std::uint16_t used;  // bytes of a leaf's moments
};

struct BalanceHistoryOps {
  using Node = BalanceHistory::Node;
  using Slot = std::array<std::uint64_t, 5>;  // one inner slot's values, column by column (their bits)
  using Moment = history_leaf::Moment;

  static constexpr int kLeafBytesMax = 256;  // a leaf's block: 25-60 moments, scanned in full
  static constexpr int kInnerMax = 31;
  static constexpr int kDepthMax = 24;  // inner levels; each takes 16x the inserts of the one below: unreachable
  static constexpr UtcMicros kAtLimit = INT64_C(1) << 58;  // storable timestamps are in (-kAtLimit, kAtLimit)
  static constexpr std::size_t kNodeHeaderBytes = 8;
  static constexpr std::size_t kHeaderBytes = 2 * kNodeHeaderBytes;  // the header and first / tree_bytes
  static constexpr std::size_t kLeafHeaderBytes = kHeaderBytes + 8;   // and a leaf's last timestamp
  static constexpr std::size_t kLeafRoomMax = kLeafBytesMax - kLeafHeaderBytes;  // moment bytes a leaf can hold
  static_assert(sizeof(Node) <= kNodeHeaderBytes, "the header must fit its 8 bytes");
  static_assert(kLeafBytesMax - kLeafHeaderBytes <= 256, "a moment's offset in a leaf fits last_from's byte");

  // A non-empty run of consecutive moments: its total and the lowest and highest balance after each of its
  // moments, relative to the balance before it.
  struct Run {
    MinorUnits sum, lo, hi;
  };
  static Run concat(const Run& a, const Run& b) {
    return Run{a.sum + b.sum, std::min(a.lo, a.sum + b.lo), std::max(a.hi, a.sum + b.hi)};
  }
  static Run extend(const Run& a, MinorUnits sum) {
    const MinorUnits s = a.sum + sum;
    return Run{s, std::min(a.lo, s), std::max(a.hi, s)};
  }

  // Layout.
  static constexpr int kColumns = 5;  // of an inner node
  static std::size_t node_bytes(int level, int cap) {
    return level == 0 ? static_cast<std::size_t>(cap) : kHeaderBytes + kColumns * 8 * static_cast<std::size_t>(cap);
  }
  static char* column(const Node* n, int c) {
    // Nodes are only ever reached through the history that owns them; constness is the history's.
    char* base = reinterpret_cast<char*>(const_cast<Node*>(n));
    return base + kHeaderBytes + static_cast<std::size_t>(c) * 8 * n->cap;
  }
  static UtcMicros* seps(const Node* n) { return reinterpret_cast<UtcMicros*>(column(n, 0)); }
  static MinorUnits* sums(const Node* n) { return reinterpret_cast<MinorUnits*>(column(n, 1)); }
  static MinorUnits* los(const Node* n) { return reinterpret_cast<MinorUnits*>(column(n, 2)); }
  static MinorUnits* his(const Node* n) { return reinterpret_cast<MinorUnits*>(column(n, 3)); }
  static Node** kids(const Node* n) { return reinterpret_cast<Node**>(column(n, 4)); }
  // The 8 bytes after the header: a leaf's first timestamp; the tree's byte total in an inner root. Not at
  // `n + 1`: sizeof(Node) may be less than 8, so that address may be misaligned (UBSan's finding).
  static std::int64_t& second_word(const Node* n) {
    return *reinterpret_cast<std::int64_t*>(reinterpret_cast<char*>(const_cast<Node*>(n)) + kNodeHeaderBytes);
  }
  static std::int64_t& tree_bytes(Node* n) { return second_word(n); }
  static UtcMicros& first(const Node* leaf) { return second_word(leaf); }
  // The timestamp of a leaf's last moment (unset in an empty leaf: every edit that adds a moment sets it).
  static UtcMicros& last(const Node* leaf) {
    return *reinterpret_cast<UtcMicros*>(reinterpret_cast<char*>(const_cast<Node*>(leaf)) + kHeaderBytes);
  }
  static unsigned char* moments(const Node* leaf) {
    return reinterpret_cast<unsigned char*>(const_cast<Node*>(leaf)) + kLeafHeaderBytes;
  }
  static history_leaf::Reader reader(const Node* leaf) {
    return history_leaf::Reader(moments(leaf), moments(leaf) + leaf->used, first(leaf));
  }

  // Capacities fill jemalloc's size classes (16 B apart up to 128, then 4 classes per doubling), growing by
  // about 1.25x so a short history wastes little: a leaf's step is its block's bytes; an inner node of cap c
  // takes 16 + 40c bytes (31: 1,256 of the 1,280 class).
  static int cap_for(int level, int slots) {
    static constexpr int kLeafSteps[] = {32, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256};
    static constexpr int kInnerSteps[] = {1, 2, 3, 4, 5, 6, 7, 9, 10, 12, 15, 18, 22, 25, 31};
    return level == 0 ? first_step_holding(kLeafSteps, slots, kLeafBytesMax)
                      : first_step_holding(kInnerSteps, slots, kInnerMax);
  }
  // The block a leaf needs for `bytes` of moments.
  static int leaf_cap_for(std::size_t bytes) { return cap_for(0, static_cast<int>(kLeafHeaderBytes + bytes)); }
  static std::size_t leaf_room(const Node* leaf) { return static_cast<std::size_t>(leaf->cap) - kLeafHeaderBytes; }
  static int max_slots(int level) { return level == 0 ? kLeafBytesMax : kInnerMax; }

  // How many of v[0..n) are <= key, v sorted. Most edits and queries are at or after the newest moment, so
  // that case is checked first.
  static int count_through(const std::int64_t* v, int n, std::int64_t key) {
    if (n == 0 || v[n - 1] <= key) return n;
    return static_cast<int>(std::upper_bound(v, v + n - 1, key) - v);
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

  // Sum of a leaf's moments stamped at or before `at`.
  static MinorUnits leaf_sum_through(const Node* leaf, UtcMicros at) {
    history_leaf::Reader r = reader(leaf);
    MinorUnits total = 0;
    while (!r.done()) {
      UtcMicros t;
      MinorUnits sum;
      r.next(t, sum);
      if (t > at) break;
      total += sum;
    }
    return total;
  }
  // A leaf's moments split at `at`: the sum of those at or before it, and the Run of those after (if any).
  struct LeafSplit {
    MinorUnits through = 0;
    bool any_after = false;
    Run after{0, 0, 0};
  };
  static LeafSplit leaf_split(const Node* leaf, UtcMicros at) {
    history_leaf::Reader r = reader(leaf);
    LeafSplit s;
    while (!r.done()) {
      UtcMicros t;
      MinorUnits sum;
      r.next(t, sum);
      if (t <= at) {
        s.through += sum;
      } else if (s.any_after) {
        s.after = extend(s.after, sum);
      } else {
        s.after = Run{sum, sum, sum};
        s.any_after = true;
      }
    }
    return s;
  }
  // What judge() gathers on its way down: the sum of the moments up to `at` and the Run of those after it.
  struct Judging {
    MinorUnits before = 0;
    bool later = false;
    Run after{0, 0, 0};
    void prepend(const Run& r) {
      after = later ? concat(r, after) : r;
      later = true;
    }
    void add(const LeafSplit& s) {
      before += s.through;
      if (s.any_after) prepend(s.after);
    }
    BalanceHistory::Extremes extremes() const {
      return BalanceHistory::Extremes{before + (later ? std::min<MinorUnits>(0, after.lo) : 0),
                                      before + (later ? std::max<MinorUnits>(0, after.hi) : 0)};
    }
  };
  // The rule judge() applies: the change joins the moment `at`, so the balance at `at` and at every later
  // moment shifts by exactly `delta`, and the moments before `at` are untouched.
  static Verdict verdict(const BalanceHistory::Extremes& e, MinorUnits delta) {
    if (e.lowest + delta < 0) return Verdict::insufficient_funds;
    if (e.highest + delta > limits::balance_minor_max) return Verdict::balance_too_large;
    return Verdict::accepted;
  }
  static Run leaf_run(const Node* leaf) {
    const LeafSplit s = leaf_split(leaf, INT64_MIN);
    return s.after;
  }
  static Run inner_run(const Node* n, int from, int to) {
    Run r{sums(n)[from], los(n)[from], his(n)[from]};
    for (int j = from + 1; j < to; ++j) r = concat(r, Run{sums(n)[j], los(n)[j], his(n)[j]});
    return r;
  }
  static Run run_of(const Node* n) { return n->level == 0 ? leaf_run(n) : inner_run(n, 0, n->size); }
  static UtcMicros sep_of(const Node* n) { return n->level == 0 ? first(n) : seps(n)[0]; }

  static const Node* root_of(const BalanceHistory& h) { return h.root_; }  // for tests
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
  static Run check_leaf(const Node* n, const UtcMicros* lo, const UtcMicros* hi, CheckWalk& w);

  // Edits (balance_history_edit.cpp: inner nodes and the walk up and down; balance_history_leaf_edit.cpp:
  // a leaf's bytes).
  struct Edit;
  struct Path {
    Node* node[kDepthMax];
    int index[kDepthMax];
    int depth = 0;
  };
  // Where a leaf edit lands: moment `pos` (of the leaf's size) starts at byte `from`; the edit replaces the
  // bytes [from, to) with `bytes` and, at pos 0, makes `first` the leaf's first timestamp; `last` is the leaf's
  // last timestamp after it.
  struct Splice {
    int pos = 0;
    std::size_t from = 0, to = 0;
    unsigned char bytes[2 * history_leaf::moment_bytes_max];
    std::size_t length = 0;
    UtcMicros first = 0;
    UtcMicros last = 0;
    std::size_t previous_from = 0;  // where the moment before `pos` starts (an erase of the last moment needs it)
    std::size_t last_from = SIZE_MAX;  // where the last moment starts after it, when the splice knows (else computed)
    int added = 0;  // moments the edit adds (1), or removes (-1)
  };
  static Node* descend(Node* root, UtcMicros at, Path& path);
  // extremes_from's descent to the leaf holding `at` (h not empty), recording the path when given.
  static Node* descend_judging(const BalanceHistory& h, UtcMicros at, Judging& j, Path* path);
  static void open_slot(Node* n, int pos, const Slot& v);
  static void close_slot(Node* n, int pos);
  static Node* resized(Node* n, int cap, Edit& e);
  static std::pair<Node*, Node*> split(Node* n, int pos, const Slot& v, Edit& e);
  static std::pair<Node*, Node*> place(Node* n, int pos, const Slot& v, Edit& e);
  static Slot entry(Node* child);
  static void set_entry(Node* parent, int i, Node* child);
  static void fix_up(BalanceHistory& h, const Path& path, Node* cur, Node* extra, const Run* appended, Edit& e);
  static void fix_down(BalanceHistory& h, const Path& path, Node* cur, Edit& e);
  // Leaf edits (balance_history_leaf_edit.cpp).
  // The splice that adds one change `delta` at `at`; with `split`, the same scan also splits the leaf at `at`.
  // Without `split`, a change after the leaf's last moment is appended without reading the leaf.
  static Splice insert_splice(const Node* leaf, UtcMicros at, MinorUnits delta, LeafSplit* split = nullptr);
  // The splice that adds `delta` as a new moment after every moment of the leaf (at > last(leaf), or it is empty).
  static Splice append_splice(const Node* leaf, UtcMicros at, MinorUnits delta);
  // The splice that adds `delta` to the leaf's last moment, stamped `at` (== last(leaf)).
  static Splice tie_splice(const Node* leaf, UtcMicros at, MinorUnits delta);
  // Where the leaf's last moment starts once s is applied.
  static std::size_t last_from_after(const Node* leaf, const Splice& s);
  // The rightmost leaf (the one holding the newest moment), the path to it recorded.
  static Node* rightmost(Node* root, Path& path);
  // The splice that takes back one change `delta` at `at`; fails (aborts) when no such change is recorded.
  static Splice erase_splice(const Node* leaf, UtcMicros at, MinorUnits delta);
  static std::pair<Node*, Node*> apply(Node* leaf, const Splice& s, Edit& e);
  static std::pair<Node*, Node*> split_leaf(Node* leaf, const Splice& s, Edit& e);
  static Node* leaf_of(const Moment* m, int n, Edit& e);
};

// Allocations and frees of one edit, so the root can carry the tree's byte total.
struct BalanceHistoryOps::Edit {
  BalanceHistory& h;
  std::int64_t bytes;

  explicit Edit(BalanceHistory& history)
      : h(history), bytes(static_cast<std::int64_t>(tree_bytes_of(history))) {}

  Node* make(int level, int cap) {
    const std::size_t size = node_bytes(level, cap);
    Node* n = new (::operator new(size)) Node{0, static_cast<std::uint16_t>(cap), static_cast<std::uint8_t>(level), 0, 0};
    second_word(n) = 0;
    bytes += static_cast<std::int64_t>(size);
    return n;
  }
  void drop(Node* n) {
    bytes -= static_cast<std::int64_t>(node_bytes(n->level, n->cap));
    ::operator delete(n);
  }
  void finish() {
    if (h.root_ != nullptr && h.root_->level > 0) tree_bytes(h.root_) = bytes;
  }
};

}  // namespace tally
