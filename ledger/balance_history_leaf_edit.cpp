// BalanceHistory's leaf edits: an insert or erase is one scan of the leaf to the moment it touches, then a
// splice of the leaf's bytes (the touched moment and the gap of the one after it are re-encoded; the bytes past
// them only move). A leaf that outgrows its block moves to the next size class; one at the largest splits, an
// append (or prepend) into a leaf of its own so the old leaf stays full, any other edit near the middle.
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "ledger/assert.hpp"
#include "ledger/balance_history.hpp"
#include "ledger/balance_history_nodes.hpp"

namespace tally {

using Ops = BalanceHistoryOps;
namespace leaf = history_leaf;

namespace {

[[noreturn]] void fail(const char* what, UtcMicros at) {
  std::fprintf(stderr, "balance_history: %s (at=%lld)\n", what, static_cast<long long>(at));
  std::abort();
}

// a + b, which must stay a storable moment sum.
MinorUnits moment_sum(MinorUnits a, MinorUnits b, UtcMicros at) {
  MinorUnits s = 0;
  if (__builtin_add_overflow(a, b, &s) || s <= -leaf::sum_limit || s >= leaf::sum_limit) {
    fail("a moment's sum out of range", at);
  }
  return s;
}

std::uint64_t gap(UtcMicros from, UtcMicros to) {
  return static_cast<std::uint64_t>(to) - static_cast<std::uint64_t>(from);
}

// The most moments an over-full leaf can hold: each takes at least 2 bytes.
constexpr int kSplitMomentsMax = static_cast<int>((Ops::kLeafRoomMax + 2 * leaf::moment_bytes_max) / 2) + 1;

}  // namespace

Ops::Splice BalanceHistoryOps::append_splice(const Node* leaf, UtcMicros at, MinorUnits delta) {
  Splice s;
  s.pos = leaf->size;
  s.from = s.to = leaf->used;
  s.added = 1;
  s.first = leaf->size == 0 ? at : first(leaf);
  s.last = at;
  s.last_from = s.from;  // the new moment
  const std::uint64_t to_here = leaf->size == 0 ? 0 : gap(last(leaf), at);
  s.length = static_cast<std::size_t>(leaf::put_moment(s.bytes, to_here, moment_sum(0, delta, at), 1) - s.bytes);
  return s;
}

Ops::Splice BalanceHistoryOps::tie_splice(const Node* leaf, UtcMicros at, MinorUnits delta) {
  Splice s;
  s.pos = leaf->size - 1;
  s.from = leaf->last_from;
  s.to = leaf->used;
  s.first = first(leaf);
  s.last = at;
  s.last_from = s.from;  // re-encoded in place
  const unsigned char* p = moments(leaf) + s.from;
  std::uint64_t to_here = 0, word = 0, count = 1;
  p = get_varint(get_varint(p, to_here), word);
  if ((word & 1) != 0) {
    get_varint(p, count);
    count += 2;
  }
  const MinorUnits sum = moment_sum(leaf::sum_of_word(word), delta, at);
  s.length = static_cast<std::size_t>(leaf::put_moment(s.bytes, to_here, sum, count + 1) - s.bytes);
  return s;
}

std::size_t BalanceHistoryOps::last_from_after(const Node* leaf, const Splice& s) {
  if (s.to < leaf->used) return leaf->last_from + s.length - (s.to - s.from);  // the last moment only moved
  if (s.length == 0) return s.previous_from;  // the last moment went: the one before it is last
  std::size_t start = 0;  // else the last moment is the splice's last
  for (const unsigned char* p = s.bytes; p < s.bytes + s.length;) {
    start = static_cast<std::size_t>(p - s.bytes);
    std::uint64_t word = 0;
    p = get_varint(skip_varint(p), word);
    if ((word & 1) != 0) p = skip_varint(p);
  }
  return s.from + start;
}

Ops::Splice BalanceHistoryOps::insert_splice(const Node* leaf, UtcMicros at, MinorUnits delta, LeafSplit* split) {
  if (leaf->size == 0 || (split == nullptr && at > last(leaf))) return append_splice(leaf, at, delta);
  Splice s;
  s.first = first(leaf);
  s.last = last(leaf);  // an edit before the last moment leaves it last
  leaf::Reader r = reader(leaf);
  UtcMicros previous = first(leaf);
  for (int pos = 0; !r.done(); ++pos) {
    const std::size_t from = static_cast<std::size_t>(r.position() - moments(leaf));
    const Moment m = r.next();
    if (m.at < at) {
      previous = m.at;
      if (split != nullptr) split->through += m.sum;
      continue;
    }
    if (split != nullptr) {  // m and the moments after it, read on a copy of the reader
      if (m.at == at) split->through += m.sum;
      leaf::Reader rest = r;
      MinorUnits sum = m.sum;
      for (bool after = m.at > at;; after = true) {
        if (after) {
          split->after = split->any_after ? extend(split->after, sum) : Run{sum, sum, sum};
          split->any_after = true;
        }
        if (rest.done()) break;
        UtcMicros t;
        rest.next(t, sum);
      }
    }
    s.pos = pos;
    s.from = from;
    s.to = static_cast<std::size_t>(r.position() - moments(leaf));
    const std::uint64_t to_here = pos == 0 ? 0 : gap(previous, at);
    unsigned char* p = s.bytes;
    if (m.at == at) {  // one more change at a known moment
      p = leaf::put_moment(p, to_here, moment_sum(m.sum, delta, at), m.count + 1);
    } else {  // a new moment before m: m's gap is now from `at`
      s.added = 1;
      if (pos == 0) s.first = at;
      p = leaf::put_moment(p, to_here, moment_sum(0, delta, at), 1);
      p = leaf::put_moment(p, gap(at, m.at), m.sum, m.count);
    }
    s.length = static_cast<std::size_t>(p - s.bytes);
    return s;
  }
  return append_splice(leaf, at, delta);  // after every moment
}

Ops::Splice BalanceHistoryOps::erase_splice(const Node* leaf, UtcMicros at, MinorUnits delta) {
  Splice s;
  s.first = first(leaf);
  s.last = last(leaf);
  leaf::Reader r = reader(leaf);
  UtcMicros previous = first(leaf);
  for (int pos = 0; !r.done(); ++pos) {
    const std::size_t from = static_cast<std::size_t>(r.position() - moments(leaf));
    const Moment m = r.next();
    if (m.at < at) {
      previous = m.at;
      s.previous_from = from;
      continue;
    }
    if (m.at > at) break;
    s.pos = pos;
    s.from = from;
    s.to = static_cast<std::size_t>(r.position() - moments(leaf));
    const std::uint64_t to_here = pos == 0 ? 0 : gap(previous, at);
    unsigned char* p = s.bytes;
    if (m.count > 1) {
      p = leaf::put_moment(p, to_here, moment_sum(m.sum, -delta, at), m.count - 1);
    } else {
      if (m.sum != delta) fail("erase of absent entry: changes do not add up", at);
      s.added = -1;  // the moment goes; the next one (if any) takes its place and its gap
      if (r.done()) s.last = previous;  // (meaningless when the leaf empties: pos 0)
      if (!r.done()) {
        const Moment next = r.next();
        s.to = static_cast<std::size_t>(r.position() - moments(leaf));
        if (pos == 0) s.first = next.at;
        p = leaf::put_moment(p, pos == 0 ? 0 : gap(previous, next.at), next.sum, next.count);
      }
    }
    s.length = static_cast<std::size_t>(p - s.bytes);
    return s;
  }
  fail("erase of absent entry", at);
}

BalanceHistory::Node* BalanceHistoryOps::leaf_of(const Moment* m, int n, Edit& e) {
  std::size_t bytes = 0;
  for (int i = 0; i < n; ++i) bytes += leaf::moment_bytes(i == 0 ? 0 : gap(m[i - 1].at, m[i].at), m[i].sum, m[i].count);
  TALLY_ASSERT(bytes <= kLeafRoomMax, "a leaf's moments fit the largest leaf");
  Node* fresh = e.make(0, leaf_cap_for(bytes));
  unsigned char* p = moments(fresh);
  for (int i = 0; i < n; ++i) p = leaf::put_moment(p, i == 0 ? 0 : gap(m[i - 1].at, m[i].at), m[i].sum, m[i].count);
  fresh->size = static_cast<std::uint16_t>(n);
  fresh->used = static_cast<std::uint16_t>(bytes);
  first(fresh) = m[0].at;
  last(fresh) = m[n - 1].at;
  fresh->last_from = static_cast<std::uint8_t>(bytes - leaf::moment_bytes(n == 1 ? 0 : gap(m[n - 2].at, m[n - 1].at),
                                                                        m[n - 1].sum, m[n - 1].count));
  return fresh;
}

std::pair<BalanceHistory::Node*, BalanceHistory::Node*> BalanceHistoryOps::apply(Node* leaf, const Splice& s,
                                                                                 Edit& e) {
  const std::size_t used = leaf->used - (s.to - s.from) + s.length;
  const std::size_t last_from = s.last_from != SIZE_MAX ? s.last_from : last_from_after(leaf, s);
  Node* target = leaf;
  if (used > leaf_room(leaf)) {
    if (kLeafHeaderBytes + used > kLeafBytesMax) return split_leaf(leaf, s, e);
    target = e.make(0, leaf_cap_for(used));
    std::memcpy(moments(target), moments(leaf), s.from);
  }
  std::memmove(moments(target) + s.from + s.length, moments(leaf) + s.to, leaf->used - s.to);
  std::memcpy(moments(target) + s.from, s.bytes, s.length);
  target->size = static_cast<std::uint16_t>(leaf->size + s.added);
  target->used = static_cast<std::uint16_t>(used);
  first(target) = s.first;
  last(target) = s.last;
  target->last_from = static_cast<std::uint8_t>(last_from);
  if (target != leaf) e.drop(leaf);
  return {target, nullptr};
}

// The leaf cannot take the splice even at the largest block: its moments (the splice applied) go into two.
std::pair<BalanceHistory::Node*, BalanceHistory::Node*> BalanceHistoryOps::split_leaf(Node* leaf, const Splice& s,
                                                                                      Edit& e) {
  std::array<unsigned char, kLeafRoomMax + 2 * leaf::moment_bytes_max> bytes;
  std::memcpy(bytes.data(), moments(leaf), s.from);
  std::memcpy(bytes.data() + s.from, s.bytes, s.length);
  std::memcpy(bytes.data() + s.from + s.length, moments(leaf) + s.to, leaf->used - s.to);
  const std::size_t used = leaf->used - (s.to - s.from) + s.length;
  std::array<Moment, kSplitMomentsMax> all;
  int n = 0;
  for (leaf::Reader r(bytes.data(), bytes.data() + used, s.first); !r.done();) all[n++] = r.next();
  TALLY_ASSERT(n == leaf->size + s.added, "a split leaf decodes to its moments");
  if (s.added == 1 && (s.pos == leaf->size || s.pos == 0)) {  // a new moment at either end: a leaf of its own
    Node* fresh = leaf_of(s.pos == 0 ? &all[0] : &all[n - 1], 1, e);
    return s.pos == 0 ? std::make_pair(fresh, leaf) : std::make_pair(leaf, fresh);
  }
  // Bytes of a run of moments from i (its first moment's gap is 0 in a leaf of its own).
  std::array<std::size_t, kSplitMomentsMax + 1> after;  // after[i]: bytes of moments [i, n) as stored here
  after[n] = 0;
  for (int i = n; i-- > 0;) {
    after[i] = after[i + 1] + leaf::moment_bytes(i == 0 ? 0 : gap(all[i - 1].at, all[i].at), all[i].sum, all[i].count);
  }
  const auto fits = [&](int k) {
    if (k < 1 || k >= n) return false;
    const std::size_t left = leaf::moment_bytes(0, all[0].sum, all[0].count) + (after[1] - after[k]);
    const std::size_t right = leaf::moment_bytes(0, all[k].sum, all[k].count) + after[k + 1];
    return left <= kLeafRoomMax && right <= kLeafRoomMax;
  };
  // An edit near either end splits there, as it is likely the start of a run of them; else in the middle.
  const int size = leaf->size;
  int k = n / 2;
  if (s.added == 1 && s.pos >= size - size / 4) {
    k = s.pos;
  } else if (s.added == 1 && s.pos <= size / 4) {
    k = s.pos + 1;
  }
  if (!fits(k)) {
    k = 1;
    while (k < n - 1 && after[0] - after[k] < after[k]) ++k;  // the byte middle: both halves fit
  }
  TALLY_ASSERT(fits(k), "a full leaf splits into two that fit");
  Node* left = leaf_of(&all[0], k, e);
  Node* right = leaf_of(&all[k], n - k, e);
  e.drop(leaf);
  return {left, right};
}

}  // namespace tally
