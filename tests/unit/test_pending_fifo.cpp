// PendingFifo (actors/pending_fifo.hpp): the same answers as std::deque for every sequence of pushes, pops from
// the front and erasures anywhere that a user actor's pending list sees, and no allocation before the first push.
#include <deque>
#include <memory>
#include <random>

#include <gtest/gtest.h>

#include "actors/pending_fifo.hpp"

namespace tally {
namespace {

struct Entry {
  int seq = 0;
  std::shared_ptr<int> held;  // what a pending entry holds (its in-flight record): released when it leaves
};

void expect_same(PendingFifo<Entry>& fifo, const std::deque<Entry>& model) {
  ASSERT_EQ(fifo.size(), model.size());
  ASSERT_EQ(fifo.empty(), model.empty());
  std::size_t k = 0;
  for (const Entry& e : fifo) EXPECT_EQ(e.seq, model[k++].seq);
  if (!model.empty()) {
    EXPECT_EQ(fifo.front().seq, model.front().seq);
    EXPECT_EQ(fifo.back().seq, model.back().seq);
  }
}

TEST(PendingFifo, StartsEmptyWithoutStorage) {
  PendingFifo<Entry> fifo;
  EXPECT_TRUE(fifo.empty());
  EXPECT_EQ(fifo.begin(), fifo.end());
}

TEST(PendingFifo, MatchesADequeOverRandomOperations) {
  std::mt19937 rng(15);
  PendingFifo<Entry> fifo;
  std::deque<Entry> model;
  int next = 0;
  for (int step = 0; step < 20000; ++step) {
    const unsigned op = rng() % 8;
    if (op < 4 || model.empty()) {  // push (more often, so the list grows past a few entries at times)
      auto held = std::make_shared<int>(next);
      fifo.push_back(Entry{next, held});
      model.push_back(Entry{next, held});
      ++next;
    } else if (op < 7) {
      fifo.pop_front();
      model.pop_front();
    } else {
      const std::size_t k = rng() % model.size();
      fifo.erase(fifo.begin() + k);
      model.erase(model.begin() + static_cast<std::ptrdiff_t>(k));
    }
    expect_same(fifo, model);
  }
}

TEST(PendingFifo, ReleasesWhatAPoppedEntryHeld) {
  PendingFifo<Entry> fifo;
  auto held = std::make_shared<int>(1);
  fifo.push_back(Entry{1, held});
  fifo.push_back(Entry{2, nullptr});
  fifo.pop_front();  // not the last: its slot stays until the list empties, but not what it held
  EXPECT_EQ(held.use_count(), 1);
  fifo.erase(fifo.begin());
  EXPECT_TRUE(fifo.empty());
  fifo.push_back(Entry{3, nullptr});  // reuses the storage
  EXPECT_EQ(fifo.front().seq, 3);
}

}  // namespace
}  // namespace tally
