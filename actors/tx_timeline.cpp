// TxTimeline: the counted B+-tree. A node is one heap block: a header (4 bytes in a leaf, 8 in an inner node, whose
// slots are 8-byte aligned), then column arrays of `cap` slots:
//   leaf  (level 0):  entry[cap]                                 the TxIndex entries, in listing order, 6 bytes
//                                                                each (a user-space address fits 48 bits)
//   inner (level 1+): count[cap], sum[cap], first[cap], kid[cap]  each child's size, sum of changes, first timestamp
// first[i] is exact (the timestamp of kid[i]'s first entry), so routing by timestamp needs no entry reads above the
// leaves. Nodes grow in steps (a short history is one small block); a node splits in half, except when the new
// slot is its last, where the new right node takes that slot alone, so appends (the usual case) leave full nodes.
#include "actors/tx_timeline.hpp"

#include <algorithm>
#include <cstring>
#include <new>
#include <utility>
#include <vector>

#include "actors/tx_index_entry.hpp"
#include "ledger/assert.hpp"
#include "ledger/size_class_steps.hpp"

namespace tally {

struct TxTimeline::Node {
  std::uint8_t size;   // slots in use
  std::uint8_t cap;    // slots allocated
  std::uint8_t level;  // 0 = leaf
};

struct TxTimeline::Ops {
  static constexpr int kLeafMax = 63;
  static constexpr std::size_t kEntryBytes = 6;  // an entry's address, little-endian, its top 16 bits zero
  static constexpr int kInnerMax = 31;
  static constexpr int kPrefetchEntriesMax = 16;
  static constexpr int kDepthMax = 16;  // 16 half-full levels hold far more than users_max * 2^32 entries
  static constexpr std::size_t kLeafHeaderBytes = 4, kInnerHeaderBytes = 8;
  static_assert(sizeof(Node) <= kLeafHeaderBytes, "the header fits a leaf's 4 bytes");
  static_assert(kLeafMax <= UINT8_MAX && kInnerMax <= UINT8_MAX, "sizes fit the header's bytes");
  static std::size_t header_bytes(int level) { return level == 0 ? kLeafHeaderBytes : kInnerHeaderBytes; }

  struct Summary {
    std::uint64_t count;
    MinorUnits sum;
    UtcMicros first;
  };
  struct Slot {  // one inner slot's values
    Summary summary;
    Node* kid;
  };

  static UtcMicros at_of(Entry e) { return tx_index_detail::entry_at(e); }
  static MinorUnits delta_of(Entry e) { return tx_index_detail::entry_delta(e); }

  // Each step is the most slots whose node fills one of jemalloc's size classes (16 B apart up to 128, then 4
  // per doubling): a leaf of cap c takes 4 + 6c bytes (10: 64 of the 64 class; 63: 382 of 384), an inner node
  // 8 + 32c (31: 1,000 of 1,024).
  static int cap_for(int level, int slots) {
    static constexpr int kLeafSteps[] = {2, 4, 7, 10, 12, 15, 18, 20, 26, 31, 36, 42, 52, 63};
    static constexpr int kInnerSteps[] = {1, 2, 3, 4, 5, 6, 7, 9, 11, 13, 15, 19, 23, 27, 31};
    return level == 0 ? first_step_holding(kLeafSteps, slots, kLeafMax)
                      : first_step_holding(kInnerSteps, slots, kInnerMax);
  }
  static int max_slots(int level) { return level == 0 ? kLeafMax : kInnerMax; }
  static std::size_t node_bytes(int level, int cap) {
    return header_bytes(level) + static_cast<std::size_t>(cap) * (level == 0 ? kEntryBytes : 32);
  }
  static char* base(const Node* n) {
    return reinterpret_cast<char*>(const_cast<Node*>(n)) + header_bytes(n->level);
  }
  static Entry entry(const Node* n, int i) {
    std::uintptr_t address = 0;
    std::memcpy(&address, base(n) + kEntryBytes * static_cast<std::size_t>(i), kEntryBytes);
    return reinterpret_cast<Entry>(address);  // NOLINT(performance-no-int-to-ptr): the address stored below
  }
  static void set_entry(Node* n, int i, Entry e) {
    const auto address = reinterpret_cast<std::uintptr_t>(e);
    TALLY_ASSERT(address >> (8 * kEntryBytes) == 0, "an entry's address fits 48 bits");
    std::memcpy(base(n) + kEntryBytes * static_cast<std::size_t>(i), &address, kEntryBytes);
  }
  static std::uint64_t* counts(const Node* n) { return reinterpret_cast<std::uint64_t*>(base(n)); }
  static MinorUnits* sums(const Node* n) { return reinterpret_cast<MinorUnits*>(base(n) + 8 * n->cap); }
  static UtcMicros* firsts(const Node* n) { return reinterpret_cast<UtcMicros*>(base(n) + 16 * n->cap); }
  static Node** kids(const Node* n) { return reinterpret_cast<Node**>(base(n) + 24 * n->cap); }

  static Node* make(int level, int cap) {
    Node* n = static_cast<Node*>(::operator new(node_bytes(level, cap)));
    n->size = 0;
    n->cap = static_cast<std::uint8_t>(cap);
    n->level = static_cast<std::uint8_t>(level);
    return n;
  }
  static void destroy(Node* n) {
    if (n == nullptr) return;
    if (n->level > 0) {
      for (int i = 0; i < n->size; ++i) destroy(kids(n)[i]);
    }
    ::operator delete(n);
  }
  // Copies slots [from, to) of `src` to slot `at` of `dst` (same level), column by column.
  static void copy_slots(Node* dst, int at, const Node* src, int from, int to) {
    const int n = to - from;
    if (n <= 0) return;
    if (src->level == 0) {
      std::memmove(base(dst) + kEntryBytes * at, base(src) + kEntryBytes * from, kEntryBytes * n);
      return;
    }
    std::memmove(counts(dst) + at, counts(src) + from, 8 * n);
    std::memmove(sums(dst) + at, sums(src) + from, 8 * n);
    std::memmove(firsts(dst) + at, firsts(src) + from, 8 * n);
    std::memmove(kids(dst) + at, kids(src) + from, 8 * n);
  }
  static Node* resized(Node* n, int cap) {
    Node* bigger = make(n->level, cap);
    copy_slots(bigger, 0, n, 0, n->size);
    bigger->size = n->size;
    ::operator delete(n);
    return bigger;
  }

  static Summary summarize(const Node* n) {
    Summary s{0, 0, 0};
    if (n->level == 0) {
      for (int i = 0; i < n->size; ++i) s.sum += delta_of(entry(n, i));
      s.count = n->size;
      s.first = at_of(entry(n, 0));
      return s;
    }
    for (int i = 0; i < n->size; ++i) {
      s.count += counts(n)[i];
      s.sum += sums(n)[i];
    }
    s.first = firsts(n)[0];
    return s;
  }
  static void write_slot(Node* n, int i, const Slot& v) {
    counts(n)[i] = v.summary.count;
    sums(n)[i] = v.summary.sum;
    firsts(n)[i] = v.summary.first;
    kids(n)[i] = v.kid;
  }

  // Puts a slot (an entry, or a child and its summary) at `pos` of n, which may be reallocated. Returns the new
  // right sibling when n had to split, else nullptr.
  template <class Write>
  static Node* place(Node*& n, int pos, Write&& write) {
    if (n->size == n->cap && n->cap < max_slots(n->level)) n = resized(n, cap_for(n->level, n->size + 1));
    if (n->size < n->cap) {
      copy_slots(n, pos + 1, n, pos, n->size);
      write(n, pos);
      ++n->size;
      return nullptr;
    }
    if (pos == n->size) {  // appending: the full node stays full
      Node* right = make(n->level, cap_for(n->level, 1));
      write(right, 0);
      right->size = 1;
      return right;
    }
    const int half = n->size / 2;
    Node* right = make(n->level, cap_for(n->level, n->size - half + 1));
    copy_slots(right, 0, n, half, n->size);
    right->size = static_cast<std::uint8_t>(n->size - half);
    n->size = static_cast<std::uint8_t>(half);
    Node* again = pos <= half ? place(n, pos, write) : place(right, pos - half, write);
    TALLY_ASSERT(again == nullptr, "either half of a split node has room for the slot");
    return right;
  }

  // How many of n's children (after the first) start at or before `at` (inclusive) or before it (!inclusive).
  static int route(const Node* n, UtcMicros at, bool inclusive) {
    const UtcMicros* f = firsts(n);
    if (inclusive) return static_cast<int>(std::upper_bound(f + 1, f + n->size, at) - (f + 1));
    return static_cast<int>(std::lower_bound(f + 1, f + n->size, at) - (f + 1));
  }
  static int leaf_position(const Node* leaf, UtcMicros at, bool inclusive) {
    const int n = leaf->size;
    if (inclusive && (n == 0 || at_of(entry(leaf, n - 1)) <= at)) return n;  // appending: the common case
    // A short leaf's entries are loaded at once, so the search's dependent probes (each a cold entry, where dates
    // arrive at random) wait for memory once rather than once a probe.
    if (n <= kPrefetchEntriesMax) {
      for (int i = 0; i + 1 < n; ++i) __builtin_prefetch(entry(leaf, i) + tx_index_detail::word_bytes);
    }
    auto below = [&](Entry x) { return inclusive ? at_of(x) <= at : at_of(x) < at; };
    int lo = 0, hi = n;
    while (lo < hi) {
      const int mid = (lo + hi) / 2;
      if (below(entry(leaf, mid))) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  static Node* insert(Node*& n, Entry entry, UtcMicros at, MinorUnits delta) {
    if (n->level == 0) {
      return place(n, leaf_position(n, at, true), [entry](Node* dst, int i) { set_entry(dst, i, entry); });
    }
    const int i = route(n, at, true);
    Node* extra = insert(kids(n)[i], entry, at, delta);
    counts(n)[i] += 1;
    sums(n)[i] += delta;
    firsts(n)[i] = std::min(firsts(n)[i], at);
    if (extra == nullptr) return nullptr;
    const Slot right{summarize(extra), extra};
    counts(n)[i] -= right.summary.count;
    sums(n)[i] -= right.summary.sum;
    return place(n, i + 1, [&right](Node* dst, int k) { write_slot(dst, k, right); });
  }

  static std::string check_node(const Node* n, int depth, int& leaf_depth, Entry& previous);

  // An append's lines in n: a leaf's last slot; an inner node's child starts (route searches them all), last slot.
  static void prefetch_append_slots(const Node* n) {
    const int last = n->size - 1;
    if (n->level == 0) return __builtin_prefetch(base(n) + kEntryBytes * static_cast<std::size_t>(last), 1);
    for (int i = 0; i < last; i += 8) __builtin_prefetch(firsts(n) + i);  // 8 starts a cache line
    __builtin_prefetch(firsts(n) + last), __builtin_prefetch(kids(n) + last);
    __builtin_prefetch(counts(n) + last, 1), __builtin_prefetch(sums(n) + last, 1);
  }
};

TxTimeline::TxTimeline(TxTimeline&& other) noexcept : root_(std::exchange(other.root_, nullptr)) {}

TxTimeline& TxTimeline::operator=(TxTimeline&& other) noexcept {
  if (this != &other) {
    Ops::destroy(root_);
    root_ = std::exchange(other.root_, nullptr);
  }
  return *this;
}

TxTimeline::~TxTimeline() { Ops::destroy(root_); }

void TxTimeline::prefetch_append(int step) const {
  const Node* n = root_;
  if (n == nullptr || step == 0) return prefetch();
  for (; step > 2 && n->level > 0 && n->size > 0; step -= 2) n = Ops::kids(n)[n->size - 1];  // loaded before
  if (n->size == 0) return;
  if (step == 1) return Ops::prefetch_append_slots(n);
  if (step == 2 && n->level == 0) return __builtin_prefetch(Ops::entry(n, n->size - 1) + tx_index_detail::word_bytes);
  if (step == 2) __builtin_prefetch(Ops::kids(n)[n->size - 1]);
}

void TxTimeline::insert(Entry entry) {
  const UtcMicros at = Ops::at_of(entry);
  const MinorUnits delta = Ops::delta_of(entry);
  if (root_ == nullptr) root_ = Ops::make(0, Ops::cap_for(0, 1));
  Node* extra = Ops::insert(root_, entry, at, delta);
  if (extra == nullptr) return;
  Node* root = Ops::make(root_->level + 1, Ops::cap_for(root_->level + 1, 2));
  Ops::write_slot(root, 0, Ops::Slot{Ops::summarize(root_), root_});
  Ops::write_slot(root, 1, Ops::Slot{Ops::summarize(extra), extra});
  root->size = 2;
  root_ = root;
}

// Full nodes of max_slots, the last one holding the rest, level by level: the shape appends leave (a full node's
// append starts a right sibling of its own), so the tree is the one the inserts would have made.
void TxTimeline::assign_sorted(const Entry* entries, std::size_t count) {
  if (root_ != nullptr) {
    for (std::size_t k = 0; k < count; ++k) insert(entries[k]);
    return;
  }
  if (count == 0) return;
  auto fill_leaf = [entries](std::size_t from, int slots) {
    Node* leaf = Ops::make(0, Ops::cap_for(0, slots));
    for (int i = 0; i < slots; ++i) Ops::set_entry(leaf, i, entries[from + static_cast<std::size_t>(i)]);
    leaf->size = static_cast<std::uint8_t>(slots);
    return leaf;
  };
  if (count <= static_cast<std::size_t>(Ops::kLeafMax)) {  // most users: one leaf, no entry read
    root_ = fill_leaf(0, static_cast<int>(count));
    return;
  }
  std::vector<Node*> level;
  for (std::size_t from = 0; from < count; from += Ops::kLeafMax)
    level.push_back(fill_leaf(from, static_cast<int>(std::min<std::size_t>(Ops::kLeafMax, count - from))));
  for (int height = 1; level.size() > 1; ++height) {
    std::vector<Node*> above;
    for (std::size_t from = 0; from < level.size(); from += Ops::kInnerMax) {
      const int slots = static_cast<int>(std::min<std::size_t>(Ops::kInnerMax, level.size() - from));
      Node* n = Ops::make(height, Ops::cap_for(height, slots));
      for (int i = 0; i < slots; ++i) {
        Node* kid = level[from + static_cast<std::size_t>(i)];
        Ops::write_slot(n, i, Ops::Slot{Ops::summarize(kid), kid});
      }
      n->size = static_cast<std::uint8_t>(slots);
      above.push_back(n);
    }
    level.swap(above);
  }
  root_ = level.front();
}

std::size_t TxTimeline::size() const {
  if (root_ == nullptr) return 0;
  if (root_->level == 0) return root_->size;
  std::size_t total = 0;
  for (int i = 0; i < root_->size; ++i) total += Ops::counts(root_)[i];
  return total;
}

std::size_t TxTimeline::count_before(UtcMicros at) const {
  if (root_ == nullptr) return 0;
  std::size_t total = 0;
  const Node* n = root_;
  while (n->level > 0) {
    const int i = Ops::route(n, at, false);
    for (int k = 0; k < i; ++k) total += Ops::counts(n)[k];
    n = Ops::kids(n)[i];
  }
  return total + static_cast<std::size_t>(Ops::leaf_position(n, at, false));
}

void TxTimeline::walk_from(std::size_t position, const std::function<bool(Entry, MinorUnits)>& visit) const {
  if (position >= size()) return;
  const Node* path[Ops::kDepthMax];
  int index[Ops::kDepthMax];
  int depth = 0;
  MinorUnits balance = 0;
  const Node* n = root_;
  std::size_t rest = position;
  while (n->level > 0) {
    int i = 0;
    while (rest >= Ops::counts(n)[i]) {
      rest -= Ops::counts(n)[i];
      balance += Ops::sums(n)[i];
      ++i;
    }
    TALLY_ASSERT(depth < Ops::kDepthMax && i < n->size, "a position below size() is inside the tree");
    path[depth] = n;
    index[depth++] = i;
    n = Ops::kids(n)[i];
  }
  int k = static_cast<int>(rest);
  for (int j = 0; j < k; ++j) balance += Ops::delta_of(Ops::entry(n, j));
  for (;;) {
    for (; k < n->size; ++k) {
      const Entry e = Ops::entry(n, k);
      balance += Ops::delta_of(e);
      if (!visit(e, balance)) return;
    }
    while (depth > 0 && index[depth - 1] + 1 >= path[depth - 1]->size) --depth;
    if (depth == 0) return;
    n = Ops::kids(path[depth - 1])[++index[depth - 1]];
    while (n->level > 0) {
      path[depth] = n;
      index[depth++] = 0;
      n = Ops::kids(n)[0];
    }
    k = 0;
  }
}

std::size_t TxTimeline::memory_bytes() const {
  struct Walk {
    static std::size_t bytes(const Node* n) {
      std::size_t total = Ops::node_bytes(n->level, n->cap);
      if (n->level > 0) {
        for (int i = 0; i < n->size; ++i) total += bytes(Ops::kids(n)[i]);
      }
      return total;
    }
  };
  return root_ == nullptr ? 0 : Walk::bytes(root_);
}

std::string TxTimeline::Ops::check_node(const Node* n, int depth, int& leaf_depth, Entry& previous) {
  if (n->size > n->cap || n->cap > max_slots(n->level)) return "a node holds more than its capacity";
  if (n->size == 0) return "an empty node";
  if (n->level == 0) {
    if (leaf_depth >= 0 && leaf_depth != depth) return "leaves at different depths";
    leaf_depth = depth;
    for (int i = 0; i < n->size; ++i) {
      if (previous != nullptr && at_of(previous) > at_of(entry(n, i))) return "entries out of timestamp order";
      previous = entry(n, i);
    }
    return {};
  }
  for (int i = 0; i < n->size; ++i) {
    const Node* kid = kids(n)[i];
    if (kid->level + 1 != n->level) return "a child one level down";
    if (std::string broken = check_node(kid, depth + 1, leaf_depth, previous); !broken.empty()) return broken;
    const Summary s = summarize(kid);
    if (s.count != counts(n)[i] || s.sum != sums(n)[i]) return "a child's count or sum is wrong";
    if (s.first != firsts(n)[i]) return "a child's first timestamp is wrong";
  }
  return {};
}

std::string TxTimeline::check() const {
  if (root_ == nullptr) return {};
  if (root_->size == 0) return "an empty root";
  int leaf_depth = -1;
  Entry previous = nullptr;
  return Ops::check_node(root_, 0, leaf_depth, previous);
}

}  // namespace tally
