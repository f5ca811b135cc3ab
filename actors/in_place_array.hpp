// A fixed number of objects of one type built in place in one allocation and destroyed with it: a batch's user
// groups (LedgerService::apply_batch) live in one of these, each handed out as a shared_ptr that aliases the
// array's own (std::shared_ptr's aliasing constructor), so a batch over N users allocates its N commands once.
// The array lives until the last of its objects is let go (a batch's groups are answered at about the same group
// commits, and the batch's answer lives until its last item anyway); its objects are never moved.
#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <utility>

#include "ledger/assert.hpp"

namespace tally {

template <class T>
class InPlaceArray {
 public:
  explicit InPlaceArray(std::size_t capacity) : storage_(new Place[capacity]), capacity_(capacity) {}
  ~InPlaceArray() {
    for (std::size_t k = size_; k-- > 0;) at(k)->~T();
  }
  InPlaceArray(const InPlaceArray&) = delete;
  InPlaceArray& operator=(const InPlaceArray&) = delete;

  template <class... Args>
  T& emplace(Args&&... args) {
    TALLY_ASSERT(size_ < capacity_, "an in-place array is built to its capacity, no further");
    T* made = new (&storage_[size_]) T(std::forward<Args>(args)...);
    ++size_;
    return *made;
  }

 private:
  struct alignas(T) Place {
    unsigned char bytes[sizeof(T)];
  };
  T* at(std::size_t k) { return std::launder(reinterpret_cast<T*>(&storage_[k])); }

  std::unique_ptr<Place[]> storage_;
  std::size_t capacity_;
  std::size_t size_ = 0;
};

}  // namespace tally
