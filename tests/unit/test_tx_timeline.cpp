// Unit tests for actors/tx_timeline (the history listing's order and pages) against a simple model: every
// transaction in a vector, stably sorted by timestamp (so arrival breaks ties), balances its running sum.
// Random deposits and withdrawals, backdated and with heavily colliding timestamps, are paged through with
// random limits and from/to, and the pages concatenated must be the model's slice; cursors taken before more
// transactions arrive must continue exactly where the model says. The seed is printed; rerun one with
// TALLY_PROPERTY_SEED=<seed>. Entries are real TxIndex entries (tx_index_entry.hpp's layout) in stable buffers.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "actors/tx_index_arena.hpp"
#include "actors/tx_index_entry.hpp"
#include "actors/tx_timeline.hpp"
#include "ledger/limits.hpp"

namespace tally {
namespace {

std::uint64_t property_seed() {
  if (const char* text = std::getenv("TALLY_PROPERTY_SEED")) return std::strtoull(text, nullptr, 10);
  return std::random_device{}() ^ (static_cast<std::uint64_t>(std::random_device{}()) << 32);
}

struct ModelTx {
  TransactionApplied tx;
  std::uint64_t arrival;
};

// The timeline and its model, fed the same transactions.
class Fixture {
 public:
  void add(TransactionApplied tx) {
    const tx_index_detail::PackedUid uid(tx.uid);
    std::uint32_t offset = 0;
    timeline.insert(storage_.append(tx, uid, 0, offset));
    // After every transaction stamped at or before it: the vector stays sorted by (timestamp, arrival).
    const auto place = std::upper_bound(model.begin(), model.end(), tx.at,
                                        [](UtcMicros at, const ModelTx& m) { return at < m.tx.at; });
    model.insert(place, ModelTx{std::move(tx), next_arrival_++});
  }
  // The model's answer: the listing from model index `first` on, within [from, to].
  std::vector<HistoryItem> expected(std::size_t first, UtcMicros from, UtcMicros to) const {
    std::vector<HistoryItem> out;
    MinorUnits balance = 0;
    for (std::size_t i = 0; i < model.size(); ++i) {
      balance += model[i].tx.delta();
      if (i >= first && model[i].tx.at >= from && model[i].tx.at <= to) out.push_back({model[i].tx, balance});
    }
    return out;
  }
  // The model index a position names: past every transaction stamped before `at` and `skip` of those stamped at it.
  std::size_t index_of(const HistoryPosition& p) const {
    std::size_t i = 0;
    while (i < model.size() && model[i].tx.at < p.at) ++i;
    for (std::uint64_t k = 0; k < p.skip && i < model.size() && model[i].tx.at == p.at; ++k) ++i;
    return i;
  }

  TxTimeline timeline;
  std::vector<ModelTx> model;

 private:
  tx_index_detail::EntryArena storage_;  // as the TxIndex keeps entries
  std::uint64_t next_arrival_ = 0;
};

void expect_same(const std::vector<HistoryItem>& got, const std::vector<HistoryItem>& want, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (std::size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].tx.uid, want[i].tx.uid) << what << " item " << i;
    ASSERT_TRUE(got[i].tx.same_request_as(want[i].tx)) << what << " item " << i;
    ASSERT_EQ(got[i].tx.at, want[i].tx.at) << what << " item " << i;
    ASSERT_EQ(got[i].balance, want[i].balance) << what << " item " << i;
  }
}

class TxTimelineProperty : public ::testing::Test {
 protected:
  void SetUp() override {
    seed_ = property_seed();
    std::cout << "[ seed     ] TALLY_PROPERTY_SEED=" << seed_ << std::endl;
    RecordProperty("seed", std::to_string(seed_));
    rng_.seed(seed_);
  }
  // A transaction stamped among few distinct moments (collisions), mostly at or after the newest (appends),
  // often backdated; deposits and withdrawals of random size.
  TransactionApplied random_tx(Fixture& f) {
    TransactionApplied tx;
    tx.uid = "tx-" + std::to_string(f.model.size()) + "-" + std::to_string(rng_() % 1000);
    tx.user_id = 1 + rng_() % 5;
    tx.kind = rng_() % 3 == 0 ? TxKind::withdraw : TxKind::deposit;
    tx.amount = 1 + static_cast<MinorUnits>(rng_() % 1'000'000);
    tx.timestamp_given = rng_() % 2 == 0;
    const std::uint64_t shape = rng_() % 4;
    if (shape < 2) newest_ += static_cast<UtcMicros>(rng_() % 3);  // appends, some at the newest moment again
    tx.at = shape < 2 ? newest_ : static_cast<UtcMicros>(rng_() % static_cast<std::uint64_t>(newest_ + 1));
    tx.at = tx.at * 1000 + epoch_;
    return tx;
  }
  UtcMicros random_moment() {
    return epoch_ + 1000 * static_cast<UtcMicros>(rng_() % static_cast<std::uint64_t>(newest_ + 3)) - 1000;
  }
  // Every page from the start (cursor after cursor) within [from, to], concatenated.
  std::vector<HistoryItem> all_pages(const Fixture& f, HistoryQuery query, std::size_t& pages) {
    std::vector<HistoryItem> got;
    pages = 0;
    for (;;) {
      const HistoryPage page = history_page(f.timeline, query);
      EXPECT_LE(page.items.size(), query.limit);
      got.insert(got.end(), page.items.begin(), page.items.end());
      ++pages;
      if (!page.next) return got;
      EXPECT_EQ(page.items.size(), query.limit) << "only a full page has a next one";
      query.after = page.next;
      if (pages > f.model.size() + 2) {
        ADD_FAILURE() << "paging does not end";
        return got;
      }
    }
  }

  std::uint64_t seed_ = 0;
  std::mt19937_64 rng_;
  UtcMicros newest_ = 0;
  const UtcMicros epoch_ = 1'672'531'200'000'000;  // 2023-01-01T00:00:00Z
};

TEST_F(TxTimelineProperty, PagesConcatenateToTheModelSliceWithItsRunningBalances) {
  Fixture f;
  for (int round = 0; round < 40; ++round) {
    const int adds = static_cast<int>(rng_() % 200);
    for (int k = 0; k < adds; ++k) f.add(random_tx(f));
    ASSERT_EQ(f.timeline.check(), "");
    ASSERT_EQ(f.timeline.size(), f.model.size());
    HistoryQuery query;
    query.limit = 1 + rng_() % (rng_() % 2 ? 7 : 300);
    if (rng_() % 2) query.from = random_moment();
    if (rng_() % 2) query.to = random_moment();
    if (query.from > query.to) std::swap(query.from, query.to);
    std::size_t pages = 0;
    const std::vector<HistoryItem> got = all_pages(f, query, pages);
    const std::vector<HistoryItem> want = f.expected(0, query.from, query.to);
    expect_same(got, want, "round " + std::to_string(round));
    EXPECT_EQ(pages, want.empty() ? 1 : (want.size() + query.limit - 1) / query.limit) << "no empty last page";
  }
}

TEST_F(TxTimelineProperty, ACursorContinuesWhereItStoppedWhileTransactionsArrive) {
  Fixture f;
  for (int k = 0; k < 500; ++k) f.add(random_tx(f));
  for (int round = 0; round < 200; ++round) {
    HistoryQuery query;
    query.limit = 1 + rng_() % 40;
    const HistoryPage first = history_page(f.timeline, query);
    if (!first.next) continue;
    const std::size_t resume = f.index_of(*first.next);
    ASSERT_EQ(resume, query.limit) << "the cursor names the position right after the page";
    // Transactions arrive between the pages: before, at and after the cursor's moment.
    const std::uint64_t model_before = f.model.size();
    const int adds = static_cast<int>(rng_() % 20);
    for (int k = 0; k < adds; ++k) {
      TransactionApplied tx = random_tx(f);
      if (rng_() % 3 == 0) tx.at = first.next->at;  // collides with the cursor's own moment: goes after it
      f.add(std::move(tx));
    }
    ASSERT_EQ(f.model.size(), model_before + static_cast<std::uint64_t>(adds));
    query.after = first.next;
    const HistoryPage second = history_page(f.timeline, query);
    std::vector<HistoryItem> want = f.expected(f.index_of(*first.next), query.from, query.to);
    if (want.size() > query.limit) want.resize(query.limit);
    expect_same(second.items, want, "round " + std::to_string(round));
  }
}

TEST_F(TxTimelineProperty, CountBeforeMatchesTheModelAtScale) {
  Fixture f;
  for (int k = 0; k < 30'000; ++k) f.add(random_tx(f));
  ASSERT_EQ(f.timeline.check(), "");
  for (int q = 0; q < 500; ++q) {
    const UtcMicros at = random_moment() + static_cast<UtcMicros>(rng_() % 3) - 1;
    const auto want = static_cast<std::size_t>(
        std::count_if(f.model.begin(), f.model.end(), [at](const ModelTx& m) { return m.tx.at < at; }));
    ASSERT_EQ(f.timeline.count_before(at), want) << "at " << at;
  }
  HistoryQuery query;
  query.limit = limits::history_page_transactions_max;
  std::size_t pages = 0;
  expect_same(all_pages(f, query, pages), f.expected(0, query.from, query.to), "scale");
}

TEST(TxTimeline, EmptyAndEdgeQueries) {
  TxTimeline empty;
  EXPECT_EQ(empty.size(), 0u);
  EXPECT_EQ(empty.count_before(0), 0u);
  EXPECT_TRUE(history_page(empty, HistoryQuery{}).items.empty());
  EXPECT_FALSE(history_page(empty, HistoryQuery{}).next);

  Fixture f;
  TransactionApplied tx;
  tx.uid = "only";
  tx.user_id = 1;
  tx.amount = 250;
  tx.at = 1000;
  f.add(tx);
  HistoryQuery query;
  query.from = 1000;
  query.to = 1000;
  const HistoryPage page = history_page(f.timeline, query);
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].balance, 250);
  EXPECT_FALSE(page.next);
  query.to = 999;
  query.from = 0;
  EXPECT_TRUE(history_page(f.timeline, query).items.empty()) << "to is inclusive, and only inclusive";
  // A hand-made cursor with a skip past its moment's transactions stops at the moment's end, not beyond.
  query = HistoryQuery{};
  query.after = HistoryPosition{1000, 1'000'000};
  EXPECT_TRUE(history_page(f.timeline, query).items.empty());
  query.after = HistoryPosition{999, 1'000'000};
  EXPECT_EQ(history_page(f.timeline, query).items.size(), 1u);
  // Moving a timeline leaves the source empty and the target whole.
  TxTimeline moved = std::move(f.timeline);
  EXPECT_EQ(moved.size(), 1u);
  EXPECT_GT(moved.memory_bytes(), 0u);
}

// Appends (the usual case) leave full leaves: 8 bytes a transaction, plus a leaf's header (8/64) and its slot in
// the parent (32/64), plus a little for the levels above: under 8.75 bytes at scale.
TEST(TxTimeline, AppendsCostAboutEightBytesATransaction) {
  Fixture f;
  TransactionApplied tx;
  tx.user_id = 1;
  tx.amount = 1;
  for (int k = 0; k < 100'000; ++k) {
    tx.uid = "a" + std::to_string(k);
    tx.at = k;
    f.add(tx);
  }
  ASSERT_EQ(f.timeline.check(), "");
  const double per_tx = static_cast<double>(f.timeline.memory_bytes()) / 100'000;
  EXPECT_LT(per_tx, 8.75) << per_tx << " bytes a transaction";
}

// prefetch_append (a batch's worker job calls it a few actors ahead of their turns) walks the rightmost path only
// as far as the tree goes, at every step a job may ask for, and changes nothing: every size from empty through a
// full leaf, a full inner node and a third level (ASan builds catch a read outside a node).
TEST(TxTimeline, PrefetchingTheAppendPathReadsInsideTheTreeAndChangesNothing) {
  Fixture f;
  TransactionApplied tx;
  tx.user_id = 1;
  tx.amount = 1;
  const std::size_t sizes[] = {0, 1, 2, 10, 62, 63, 64, 63 * 31, 63 * 31 + 1, 63 * 31 * 2 + 5};
  std::size_t added = 0;
  for (const std::size_t size : sizes) {
    for (; added < size; ++added) {
      tx.uid = "p" + std::to_string(added);
      tx.at = static_cast<UtcMicros>(added);
      f.add(tx);
    }
    const std::size_t memory = f.timeline.memory_bytes();
    for (int step = 0; step < 16; ++step) f.timeline.prefetch_append(step);
    ASSERT_EQ(f.timeline.size(), size);
    ASSERT_EQ(f.timeline.memory_bytes(), memory);
    ASSERT_EQ(f.timeline.check(), "") << size;
  }
}

// Recovery's bulk build (assign_sorted) against inserting the same entries one by one in listing order: the
// same tree shape (memory, invariants) and the same listing with the same balances, at every size around a full
// leaf, a full inner node and a third level; an already filled timeline takes the entries as inserts.
TEST(TxTimeline, AssignSortedBuildsWhatTheInsertsBuild) {
  Fixture source;  // its timeline holds every entry in listing order; entries collected by walking it
  TransactionApplied tx;
  tx.user_id = 1;
  std::mt19937_64 rng(2026);
  const std::size_t total = 63 * 31 * 2 + 70;
  for (std::size_t k = 0; k < total; ++k) {
    tx.uid = "b" + std::to_string(k);
    tx.amount = 1 + static_cast<MinorUnits>(rng() % 1000);
    tx.kind = rng() % 3 == 0 ? TxKind::withdraw : TxKind::deposit;
    tx.at = static_cast<UtcMicros>(k / 3);  // colliding timestamps: arrival order keeps them apart
    source.add(tx);
  }
  std::vector<TxTimeline::Entry> entries;
  source.timeline.walk_from(0, [&](TxTimeline::Entry e, MinorUnits) {
    entries.push_back(e);
    return true;
  });
  ASSERT_EQ(entries.size(), total);
  auto listing = [](const TxTimeline& t) {
    std::vector<std::pair<TxTimeline::Entry, MinorUnits>> out;
    t.walk_from(0, [&](TxTimeline::Entry e, MinorUnits balance) {
      out.emplace_back(e, balance);
      return true;
    });
    return out;
  };
  const std::size_t sizes[] = {0, 1, 2, 10, 62, 63, 64, 127, 63 * 31, 63 * 31 + 1, total};
  for (std::size_t n : sizes) {
    TxTimeline inserted, bulk;
    for (std::size_t k = 0; k < n; ++k) inserted.insert(entries[k]);
    bulk.assign_sorted(entries.data(), n);
    EXPECT_EQ(bulk.check(), "") << n;
    EXPECT_EQ(bulk.size(), n);
    EXPECT_EQ(bulk.memory_bytes(), inserted.memory_bytes()) << n << " entries: not the shape the inserts make";
    EXPECT_EQ(listing(bulk), listing(inserted)) << n;
    EXPECT_EQ(bulk.count_before(static_cast<UtcMicros>(n / 6)), inserted.count_before(static_cast<UtcMicros>(n / 6)));
  }
  // Not empty: the entries go in as inserts would (here after the first half, already present).
  TxTimeline half;
  half.assign_sorted(entries.data(), 100);
  half.assign_sorted(entries.data() + 100, 50);
  TxTimeline inserted;
  for (std::size_t k = 0; k < 150; ++k) inserted.insert(entries[k]);
  EXPECT_EQ(half.check(), "");
  EXPECT_EQ(listing(half), listing(inserted));
}

}  // namespace
}  // namespace tally
