// SlotArray: a zeroed array of TxIndex table slots (u64). From 2 MiB on it is mapped on its own, 2 MiB-aligned,
// rounded up to whole 4 KiB pages (more slots: a slightly lower load) and marked for transparent huge pages: the
// table is read at random, and with 4 KiB pages nearly every lookup in a big table also missed the TLB. Smaller
// ones come from calloc. Either way fresh pages come zeroed from the kernel and are only touched when used. Internal to TxIndex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

namespace tally::tx_index_detail {

class SlotArray {
 public:
  static constexpr std::size_t huge_page_bytes = 2u << 20;
  static constexpr std::size_t small_page_bytes = 4096;

  SlotArray() = default;
  // At least `slots` zeroed slots; raises `slots` when rounding up. Throws std::bad_alloc when out of memory.
  explicit SlotArray(std::size_t& slots);
  SlotArray(SlotArray&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), mapped_bytes_(std::exchange(other.mapped_bytes_, 0)) {}
  SlotArray& operator=(SlotArray&& other) noexcept {
    if (this != &other) {
      release();
      data_ = std::exchange(other.data_, nullptr);
      mapped_bytes_ = std::exchange(other.mapped_bytes_, 0);
    }
    return *this;
  }
  SlotArray(const SlotArray&) = delete;
  SlotArray& operator=(const SlotArray&) = delete;
  ~SlotArray() { release(); }

  std::uint64_t* get() const { return data_; }
  std::uint64_t& operator[](std::size_t i) const { return data_[i]; }

 private:
  void release();
  std::uint64_t* data_ = nullptr;
  std::size_t mapped_bytes_ = 0;  // 0: from calloc
};

}  // namespace tally::tx_index_detail
