// BalanceHistory's edits. insert and erase descend once, change one leaf (balance_history_leaf_edit.cpp), then
// walk the path back up: each parent re-summarises the child it holds (O(children); an append only extends the
// summaries, O(1)), takes in a new sibling when the child split, and drops a child that emptied. A full inner
// node grows to the next capacity step; at its maximum it splits, keeping a run of appends (or prepends) together
// so the old node stays full.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <tuple>

#include "ledger/assert.hpp"
#include "ledger/balance_history.hpp"
#include "ledger/balance_history_nodes.hpp"

namespace tally {

using Ops = BalanceHistoryOps;

namespace {

[[noreturn]] void fail(const char* what, UtcMicros at) {
  std::fprintf(stderr, "balance_history: %s (at=%lld)\n", what, static_cast<long long>(at));
  std::abort();
}

}  // namespace

BalanceHistory::Node* BalanceHistoryOps::descend(Node* root, UtcMicros at, Path& path) {
  Node* n = root;
  while (n->level > 0) {
    if (path.depth == kDepthMax) fail("tree too deep", at);
    const int i = route(n, at);
    path.node[path.depth] = n;
    path.index[path.depth] = i;
    ++path.depth;
    n = kids(n)[i];
  }
  return n;
}

BalanceHistory::Node* BalanceHistoryOps::rightmost(Node* root, Path& path) {
  Node* n = root;
  while (n->level > 0) {
    TALLY_ASSERT(path.depth < kDepthMax, "a history's tree is shallower than kDepthMax");
    path.node[path.depth] = n;
    path.index[path.depth++] = n->size - 1;
    n = kids(n)[n->size - 1];
  }
  return n;
}

void BalanceHistoryOps::open_slot(Node* n, int pos, const Slot& v) {
  for (int c = 0; c < kColumns; ++c) {
    char* base = column(n, c);
    std::memmove(base + (pos + 1) * 8, base + pos * 8, static_cast<std::size_t>(n->size - pos) * 8);
    std::memcpy(base + pos * 8, &v[c], 8);
  }
  ++n->size;
}

void BalanceHistoryOps::close_slot(Node* n, int pos) {
  for (int c = 0; c < kColumns; ++c) {
    char* base = column(n, c);
    std::memmove(base + pos * 8, base + (pos + 1) * 8, static_cast<std::size_t>(n->size - pos - 1) * 8);
  }
  --n->size;
}

BalanceHistory::Node* BalanceHistoryOps::resized(Node* n, int cap, Edit& e) {
  Node* m = e.make(n->level, cap);
  if (n->level == 0) {
    std::memcpy(moments(m), moments(n), n->used);
    m->used = n->used;
    first(m) = first(n);
    last(m) = last(n);
    m->last_from = n->last_from;
  } else {
    for (int c = 0; c < kColumns; ++c) std::memcpy(column(m, c), column(n, c), n->size * std::size_t{8});
  }
  m->size = n->size;
  e.drop(n);
  return m;
}

// n (an inner node) is full and v belongs at pos: n's slots and v, in order, go into two nodes.
std::pair<BalanceHistory::Node*, BalanceHistory::Node*> BalanceHistoryOps::split(Node* n, int pos, const Slot& v,
                                                                                 Edit& e) {
  const int level = n->level;
  const int size = n->size;
  if (pos == size || pos == 0) {  // an append (or prepend) starts a node of its own: n stays full
    Node* fresh = e.make(level, 1);
    open_slot(fresh, 0, v);
    return pos == 0 ? std::make_pair(fresh, n) : std::make_pair(n, fresh);
  }
  // The left node takes k of the size + 1 slots: an insert near either end splits there, as it is likely the
  // start of a run of them; one in the middle splits the node in half.
  int k = (size + 1) / 2;
  if (pos >= size - size / 4) {
    k = pos;
  } else if (pos <= size / 4) {
    k = pos + 1;
  }
  std::uint64_t all[kColumns][kInnerMax + 1];
  for (int c = 0; c < kColumns; ++c) {
    const char* base = column(n, c);
    std::memcpy(all[c], base, pos * std::size_t{8});
    all[c][pos] = v[c];
    std::memcpy(all[c] + pos + 1, base + pos * 8, (size - pos) * std::size_t{8});
  }
  Node* left = e.make(level, cap_for(level, k));
  Node* right = e.make(level, cap_for(level, size + 1 - k));
  for (int c = 0; c < kColumns; ++c) {
    std::memcpy(column(left, c), all[c], k * std::size_t{8});
    std::memcpy(column(right, c), all[c] + k, (size + 1 - k) * std::size_t{8});
  }
  left->size = static_cast<std::uint16_t>(k);
  right->size = static_cast<std::uint16_t>(size + 1 - k);
  e.drop(n);
  return {left, right};
}

// Puts v at pos in inner node n, growing or splitting it: {n, nullptr} (n possibly moved) or the two halves of a split.
std::pair<BalanceHistory::Node*, BalanceHistory::Node*> BalanceHistoryOps::place(Node* n, int pos, const Slot& v,
                                                                                 Edit& e) {
  if (n->size == n->cap) {
    if (n->cap == max_slots(n->level)) return split(n, pos, v, e);
    n = resized(n, cap_for(n->level, n->cap + 1), e);
  }
  open_slot(n, pos, v);
  return {n, nullptr};
}

BalanceHistoryOps::Slot BalanceHistoryOps::entry(Node* child) {
  const Run r = run_of(child);
  return Slot{static_cast<std::uint64_t>(sep_of(child)), static_cast<std::uint64_t>(r.sum),
              static_cast<std::uint64_t>(r.lo), static_cast<std::uint64_t>(r.hi),
              static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(child))};
}

void BalanceHistoryOps::set_entry(Node* parent, int i, Node* child) {
  const Run r = run_of(child);
  sums(parent)[i] = r.sum;
  los(parent)[i] = r.lo;
  his(parent)[i] = r.hi;
  kids(parent)[i] = child;
}

// cur replaces the path's bottom node (it may have moved); extra, if any, is its new right sibling. When cur
// only gained the moments `appended` after its last one, its entry is extended rather than recomputed, and so
// is each ancestor's as long as the change is at the end of it too: an append costs O(1) a level.
void BalanceHistoryOps::fix_up(BalanceHistory& h, const Path& path, Node* cur, Node* extra, const Run* appended,
                               Edit& e) {
  for (int d = path.depth - 1; d >= 0; --d) {
    Node* parent = path.node[d];
    const int i = path.index[d];
    if (appended != nullptr) {
      const Run r = concat(Run{sums(parent)[i], los(parent)[i], his(parent)[i]}, *appended);
      sums(parent)[i] = r.sum;
      los(parent)[i] = r.lo;
      his(parent)[i] = r.hi;
      kids(parent)[i] = cur;
      if (i + 1 != parent->size) appended = nullptr;
    } else {
      set_entry(parent, i, cur);
    }
    if (extra != nullptr) {
      std::tie(parent, extra) = place(parent, i + 1, entry(extra), e);
    }
    cur = parent;
  }
  if (extra != nullptr) {  // the root split: the tree grows a level
    Node* root = e.make(cur->level + 1, 2);
    open_slot(root, 0, entry(cur));
    open_slot(root, 1, entry(extra));
    cur = root;
  }
  h.root_ = cur;
}

// cur is the path's bottom node after an erase; it and any ancestor left empty go, and a root with one child
// hands over to it.
void BalanceHistoryOps::fix_down(BalanceHistory& h, const Path& path, Node* cur, Edit& e) {
  bool gone = cur->size == 0;
  for (int d = path.depth - 1; d >= 0; --d) {
    Node* parent = path.node[d];
    const int i = path.index[d];
    if (gone) {
      e.drop(cur);
      close_slot(parent, i);
      gone = parent->size == 0;
    } else {
      set_entry(parent, i, cur);
    }
    cur = parent;
  }
  if (gone) {
    e.drop(cur);
    h.root_ = nullptr;
    return;
  }
  while (cur->level > 0 && cur->size == 1) {
    Node* only = kids(cur)[0];
    e.drop(cur);
    cur = only;
  }
  h.root_ = cur;
}

void BalanceHistory::insert(UtcMicros at, MinorUnits delta) {
  if (at <= -Ops::kAtLimit || at >= Ops::kAtLimit) fail("timestamp out of range", at);
  Ops::Edit e(*this);
  if (root_ == nullptr) root_ = e.make(0, Ops::cap_for(0, 0));
  Ops::Path path;
  Node* leaf = Ops::descend(root_, at, path);
  const Ops::Splice s = Ops::insert_splice(leaf, at, delta);
  const bool at_end = s.added == 1 && s.pos == leaf->size;
  const auto [cur, extra] = Ops::apply(leaf, s, e);
  const Ops::Run moment{delta, delta, delta};
  Ops::fix_up(*this, path, cur, extra, at_end && extra == nullptr ? &moment : nullptr, e);
  e.finish();
}

Verdict BalanceHistory::insert_if_accepted(UtcMicros at, MinorUnits delta) {
  if (root_ == nullptr) {
    const Verdict v = Ops::verdict(Extremes{}, delta);
    if (v == Verdict::accepted) insert(at, delta);
    return v;
  }
  if (at <= -Ops::kAtLimit || at >= Ops::kAtLimit) fail("timestamp out of range", at);
  Ops::Judging j;
  Ops::Path path;
  Node* leaf = Ops::descend_judging(*this, at, j, &path);
  Ops::LeafSplit split;
  const Ops::Splice s = Ops::insert_splice(leaf, at, delta, &split);
  j.add(split);
  const Verdict v = Ops::verdict(j.extremes(), delta);
  if (v != Verdict::accepted) return v;
  Ops::Edit e(*this);
  const bool at_end = s.added == 1 && s.pos == leaf->size;
  const auto [cur, extra] = Ops::apply(leaf, s, e);
  const Ops::Run moment{delta, delta, delta};
  Ops::fix_up(*this, path, cur, extra, at_end && extra == nullptr ? &moment : nullptr, e);
  e.finish();
  return v;
}

// A change after the newest moment, or at it in a root leaf, is judged by the balance alone (no moment after
// it; the balance at `at` is the whole sum) and written without reading the leaf's other moments; any other goes
// the general way.
Verdict BalanceHistory::insert_if_accepted(UtcMicros at, MinorUnits delta, MinorUnits balance_now) {
  if (root_ == nullptr || at >= Ops::kAtLimit) return insert_if_accepted(at, delta);
  Ops::Path path;
  Node* leaf = Ops::rightmost(root_, path);
  // A tie with the last moment changes the leaf's Run in a way its parent cannot extend: only in a root leaf.
  const bool tie = leaf->size > 0 && at == Ops::last(leaf) && path.depth == 0;
  if (leaf->size == 0 || (at <= Ops::last(leaf) && !tie)) return insert_if_accepted(at, delta);
  const Verdict v = Ops::verdict(Extremes{balance_now, balance_now}, delta);
  if (v != Verdict::accepted) return v;
  Ops::Edit e(*this);
  const Ops::Splice s = tie ? Ops::tie_splice(leaf, at, delta) : Ops::append_splice(leaf, at, delta);
  const auto [cur, extra] = Ops::apply(leaf, s, e);
  const Ops::Run moment{delta, delta, delta};
  Ops::fix_up(*this, path, cur, extra, extra == nullptr && !tie ? &moment : nullptr, e);
  e.finish();
  return v;
}

void BalanceHistory::erase(UtcMicros at, MinorUnits delta) {
  if (root_ == nullptr) fail("erase of absent entry", at);
  Ops::Path path;
  Node* leaf = Ops::descend(root_, at, path);
  const Ops::Splice s = Ops::erase_splice(leaf, at, delta);  // aborts when no such change is recorded
  Ops::Edit e(*this);
  const auto [cur, extra] = Ops::apply(leaf, s, e);
  if (s.added < 0) {
    TALLY_ASSERT(extra == nullptr, "dropping a moment never splits its leaf");
    Ops::fix_down(*this, path, cur, e);
  } else {  // a moment lost one of its changes: its sum may take more bytes than before
    Ops::fix_up(*this, path, cur, extra, nullptr, e);
  }
  e.finish();
}

void BalanceHistory::reserve(std::size_t entries) {
  if (entries == 0 || (root_ != nullptr && root_->level > 0)) return;
  constexpr std::size_t kMomentBytesTypical = 8;  // a gap of days and an amount below 2^20
  const int cap = Ops::leaf_cap_for(std::min<std::size_t>(entries * kMomentBytesTypical, Ops::kLeafRoomMax));
  if (root_ != nullptr && root_->cap >= cap) return;
  Ops::Edit e(*this);
  root_ = root_ == nullptr ? e.make(0, cap) : Ops::resized(root_, cap, e);
  e.finish();
}

}  // namespace tally
