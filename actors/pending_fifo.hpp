// A first-in first-out list that allocates nothing until its first push, for a user actor's pending WAL entries.
// std::deque (what the actor held before) allocates a 64-byte map and a 512-byte block when it is constructed:
// that was a third of the fresh memory a cold user's actor touched at birth, paid again for every spawn (batches
// over 1M users spawn an actor per item; bench/batch_cost.sh). A user rarely has more than two entries pending, so
// a vector with a moving head does: popping the front advances the head, and the storage is reused once empty.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include "ledger/assert.hpp"

namespace tally {

template <class T>
class PendingFifo {
 public:
  using iterator = T*;

  bool empty() const { return head_ == items_.size(); }
  std::size_t size() const { return items_.size() - head_; }
  T& front() {
    TALLY_ASSERT(!empty(), "front of a non-empty list");
    return items_[head_];
  }
  T& back() {
    TALLY_ASSERT(!empty(), "back of a non-empty list");
    return items_.back();
  }
  iterator begin() { return items_.data() + head_; }
  iterator end() { return items_.data() + items_.size(); }
  const T* begin() const { return items_.data() + head_; }
  const T* end() const { return items_.data() + items_.size(); }

  void push_back(T item) {
    if (head_ > 0 && head_ == items_.size()) clear_storage();
    items_.push_back(std::move(item));
  }
  void pop_front() {
    TALLY_ASSERT(!empty(), "pop from a non-empty list");
    items_[head_++] = T{};  // what it holds goes now, not when the storage is next reused
    if (head_ == items_.size()) clear_storage();
  }
  // Removes one entry anywhere, keeping the order of the others (a failed WAL entry: rare).
  void erase(iterator it) {
    TALLY_ASSERT(it >= begin() && it < end(), "erasing an entry of this list");
    items_.erase(items_.begin() + (it - items_.data()));
    if (head_ == items_.size()) clear_storage();
  }

 private:
  void clear_storage() {
    items_.clear();  // keeps the capacity: the next push allocates nothing
    head_ = 0;
  }

  std::vector<T> items_;
  std::size_t head_ = 0;  // items_[0, head_) were popped
};

}  // namespace tally
