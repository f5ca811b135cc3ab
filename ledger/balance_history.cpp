// BalanceHistory's queries, lifetime and the balance rule (judge). Each query is one root-to-leaf descent: at an
// inner node the children before the route add their sums, the children after it add their Runs; at the leaf the
// moments are decoded front to back. The edits live in balance_history_edit.cpp and balance_history_leaf_edit.cpp,
// the layout in balance_history_nodes.hpp.
#include "ledger/balance_history.hpp"

#include <algorithm>
#include <new>
#include <utility>

#include "ledger/assert.hpp"
#include "ledger/balance_history_nodes.hpp"
#include "ledger/limits.hpp"

namespace tally {

using Ops = BalanceHistoryOps;

BalanceHistory::Node* BalanceHistoryOps::clone(const Node* n) {
  const std::size_t bytes = node_bytes(n->level, n->cap);
  Node* copy = static_cast<Node*>(::operator new(bytes));
  std::memcpy(static_cast<void*>(copy), n, bytes);
  if (n->level > 0) {
    for (int i = 0; i < n->size; ++i) kids(copy)[i] = clone(kids(n)[i]);
  }
  return copy;
}

void BalanceHistoryOps::destroy(Node* n) {
  if (n == nullptr) return;
  if (n->level > 0) {
    for (int i = 0; i < n->size; ++i) destroy(kids(n)[i]);
  }
  ::operator delete(n);
}

struct BalanceHistoryOps::CheckWalk {
  std::size_t bytes = 0, changes = 0;
  bool any = false;
  UtcMicros last = 0;
  std::string error;
};

namespace {

// A varint at p that must end before `end` (else nullptr).
const unsigned char* bounded_varint(const unsigned char* p, const unsigned char* end, std::uint64_t& v) {
  v = 0;
  for (unsigned shift = 0; p < end && shift < 64; shift += 7) {
    const unsigned char byte = *p++;
    v |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) return p;
  }
  return nullptr;
}

}  // namespace

// A leaf's moments, decoded with bounds checks: in order, within [lo, hi), each encoded as put_moment would
// (a gap of 0 first and at least 1 after, no padded varints), ending exactly at `used`.
BalanceHistoryOps::Run BalanceHistoryOps::check_leaf(const Node* n, const UtcMicros* lo, const UtcMicros* hi,
                                                     CheckWalk& w) {
  const auto broke = [&](const char* what) {
    if (w.error.empty()) w.error = what;
    return Run{0, 0, 0};
  };
  if (n->used > leaf_room(n)) return broke("a leaf uses more than its block");
  const unsigned char* p = moments(n);
  const unsigned char* end = p + n->used;
  UtcMicros previous = first(n);
  Run run{0, 0, 0};
  int count = 0;
  std::size_t last_start = 0;
  for (; p < end; ++count) {
    std::uint64_t gap = 0, word = 0, extra = 0;
    const unsigned char* q = bounded_varint(p, end, gap);
    if (q != nullptr) q = bounded_varint(q, end, word);
    if (q != nullptr && (word & 1) != 0) q = bounded_varint(q, end, extra);
    if (q == nullptr) return broke("a moment runs past the leaf's bytes");
    history_leaf::Reader r(p, end, previous);
    const Moment m = r.next();
    if ((count == 0) != (gap == 0)) return broke("a leaf's first moment is not at its first timestamp");
    if (static_cast<std::size_t>(r.position() - p) != history_leaf::moment_bytes(gap, m.sum, m.count)) {
      return broke("a moment is not encoded as put_moment would");
    }
    if ((w.any && m.at <= w.last) || (lo != nullptr && m.at < *lo) || (hi != nullptr && m.at >= *hi) ||
        m.at <= -kAtLimit || m.at >= kAtLimit) {
      return broke("a moment out of order or outside its separators");
    }
    if (m.sum <= -history_leaf::sum_limit || m.sum >= history_leaf::sum_limit) return broke("a sum out of range");
    w.any = true;
    w.last = previous = m.at;
    w.changes += m.count;
    run = count == 0 ? Run{m.sum, m.sum, m.sum} : extend(run, m.sum);
    last_start = static_cast<std::size_t>(p - moments(n));
    p = r.position();
  }
  if (p != end || count != n->size) return broke("a leaf's size or byte count is off");
  if (count > 0 && (last(n) != previous || n->last_from != last_start)) return broke("a leaf's last moment is off");
  return run;
}

// The Run of n's moments, all of which must be in [lo, hi) (bounds, when given, come from the separators).
BalanceHistoryOps::Run BalanceHistoryOps::check_node(const Node* n, bool is_root, const UtcMicros* lo,
                                                   const UtcMicros* hi, CheckWalk& w) {
  const auto broke = [&](const char* what) {
    if (w.error.empty()) w.error = what;
    return Run{0, 0, 0};
  };
  w.bytes += node_bytes(n->level, n->cap);
  if (n->size > n->cap || n->cap > max_slots(n->level) || cap_for(n->level, n->cap) != n->cap) {
    return broke("size or capacity out of bounds");
  }
  if (n->size == 0 && !(is_root && n->level == 0)) return broke("an empty node below the root");
  if (n->level == 0) return check_leaf(n, lo, hi, w);
  for (int i = 0; i < n->size; ++i) {
    const Node* kid = kids(n)[i];
    if (kid->level + 1 != n->level) return broke("a child on the wrong level");
    if (i >= 2 && seps(n)[i] <= seps(n)[i - 1]) return broke("separators out of order");
    const UtcMicros* kid_lo = i == 0 ? lo : &seps(n)[i];
    const UtcMicros* kid_hi = i + 1 == n->size ? hi : &seps(n)[i + 1];
    const Run r = check_node(kid, false, kid_lo, kid_hi, w);
    if (r.sum != sums(n)[i] || r.lo != los(n)[i] || r.hi != his(n)[i]) {
      return broke("a child's summary is stale");
    }
  }
  return inner_run(n, 0, n->size);
}

std::string BalanceHistoryOps::check(const BalanceHistory& h) {
  if (h.root_ == nullptr) return "";
  CheckWalk w;
  const Run r = check_node(h.root_, true, nullptr, nullptr, w);
  if (!w.error.empty()) return w.error;
  if (h.root_->level > 0 && h.root_->size < 2) return "a root with one child";
  if (w.bytes != tree_bytes_of(h)) return "the byte total is off";
  if ((h.root_->size > 0 ? r.sum : 0) != h.balance()) return "the balance is off";
  return "";
}

BalanceHistory::BalanceHistory(const BalanceHistory& other)
    : root_(other.root_ == nullptr ? nullptr : Ops::clone(other.root_)) {}

BalanceHistory::BalanceHistory(BalanceHistory&& other) noexcept
    : root_(std::exchange(other.root_, nullptr)) {}

BalanceHistory& BalanceHistory::operator=(const BalanceHistory& other) {
  if (this != &other) *this = BalanceHistory(other);
  return *this;
}

BalanceHistory& BalanceHistory::operator=(BalanceHistory&& other) noexcept {
  if (this != &other) {
    Ops::destroy(root_);
    root_ = std::exchange(other.root_, nullptr);
  }
  return *this;
}

BalanceHistory::~BalanceHistory() { Ops::destroy(root_); }

MinorUnits BalanceHistory::balance() const {
  if (root_ == nullptr) return 0;
  if (root_->level == 0) return Ops::leaf_sum_through(root_, INT64_MAX);
  MinorUnits total = 0;
  for (int i = 0; i < root_->size; ++i) total += Ops::sums(root_)[i];
  return total;
}

MinorUnits BalanceHistory::balance_at(UtcMicros at) const {
  if (root_ == nullptr) return 0;
  MinorUnits total = 0;
  if (root_->level == 0) return Ops::leaf_sum_through(root_, at);
  MinorUnits here = balance();  // the sum of the subtree being entered
  const Node* n = root_;
  while (n->level > 0) {
    const int i = Ops::route(n, at);
    total += Ops::sum_before(Ops::sums(n), i, n->size, here);
    here = Ops::sums(n)[i];
    n = Ops::kids(n)[i];
  }
  return total + Ops::leaf_sum_through(n, at);
}

// One descent splits the moments at `at`: what lies right of the route is later than `at`, and the pieces met
// deeper come earlier in time, so the suffix is built by prepending as we descend. Whatever is not later than
// `at` in a subtree summing to `here` is earlier: before grows by here - later.
BalanceHistory::Node* BalanceHistoryOps::descend_judging(const BalanceHistory& h, UtcMicros at, Judging& j,
                                                         Path* path) {
  Node* n = h.root_;
  MinorUnits here = n->level == 0 ? 0 : h.balance();  // (a leaf's is not needed)
  while (n->level > 0) {
    const int i = route(n, at);
    if (path != nullptr) {
      TALLY_ASSERT(path->depth < kDepthMax, "a history's tree is shallower than kDepthMax");
      path->node[path->depth] = n;
      path->index[path->depth++] = i;
    }
    const MinorUnits through = here;
    here = sums(n)[i];
    if (i + 1 < n->size) {
      const Run r = inner_run(n, i + 1, n->size);
      j.prepend(r);
      j.before += through - here - r.sum;
    } else {
      j.before += through - here;
    }
    n = kids(n)[i];
  }
  return n;
}

BalanceHistory::Extremes BalanceHistory::extremes_from(UtcMicros at) const {
  if (root_ == nullptr) return Extremes{};
  Ops::Judging j;
  const Node* leaf = Ops::descend_judging(*this, at, j, nullptr);
  j.add(Ops::leaf_split(leaf, at));
  return j.extremes();
}

std::size_t BalanceHistory::size() const {
  if (root_ == nullptr) return 0;
  Ops::CheckWalk w;
  Ops::check_node(root_, true, nullptr, nullptr, w);
  TALLY_ASSERT(w.error.empty(), "a history's tree holds its invariants");
  return w.changes;
}

std::size_t BalanceHistory::memory_bytes() const { return sizeof(*this) + Ops::tree_bytes_of(*this); }

Verdict judge(const BalanceHistory& history, UtcMicros at, MinorUnits delta) {
  return Ops::verdict(history.extremes_from(at), delta);
}

}  // namespace tally
