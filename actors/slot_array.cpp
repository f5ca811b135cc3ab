// SlotArray's allocation: an aligned anonymous mapping with a huge-page hint for large tables, calloc otherwise.
#include "actors/slot_array.hpp"

#include <sys/mman.h>

#include <cstdlib>
#include <new>

#include "ledger/assert.hpp"

namespace tally::tx_index_detail {

SlotArray::SlotArray(std::size_t& slots) {
  std::size_t bytes = slots * sizeof(std::uint64_t);
  if (bytes >= huge_page_bytes) {
    // Whole small pages, not whole huge pages: the kernel backs each 2 MiB-aligned stretch that lies wholly
    // inside the mapping with a huge page and the tail with small ones. (Rounding up to 2 MiB left a table of
    // 1.5-2 MiB, one shard's at ten million transactions, only 0.6 full: 13 bytes a transaction, not 10.)
    bytes = (bytes + small_page_bytes - 1) / small_page_bytes * small_page_bytes;
    void* p = ::mmap(nullptr, bytes + huge_page_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p != MAP_FAILED) {
      const auto start = reinterpret_cast<std::uintptr_t>(p);
      const std::uintptr_t aligned = (start + huge_page_bytes - 1) & ~(std::uintptr_t{huge_page_bytes} - 1);
      if (aligned > start) ::munmap(p, aligned - start);
      const std::uintptr_t tail = start + bytes + huge_page_bytes - (aligned + bytes);
      // Integer arithmetic on our own mapping's address aligns it to a huge page: the int-to-pointer casts
      // below are the point (performance-no-int-to-ptr).
      // NOLINTNEXTLINE(performance-no-int-to-ptr)
      if (tail > 0) ::munmap(reinterpret_cast<void*>(aligned + bytes), tail);
      // A hint, fine if refused.
      ::madvise(reinterpret_cast<void*>(aligned), bytes, MADV_HUGEPAGE);  // NOLINT(performance-no-int-to-ptr)
      data_ = reinterpret_cast<std::uint64_t*>(aligned);  // NOLINT(performance-no-int-to-ptr)
      mapped_bytes_ = bytes;
      TALLY_ASSERT(bytes / sizeof(std::uint64_t) >= slots, "rounding up never loses slots");
      slots = bytes / sizeof(std::uint64_t);
      return;
    }
  }
  data_ = static_cast<std::uint64_t*>(std::calloc(slots, sizeof(std::uint64_t)));
  if (data_ == nullptr) throw std::bad_alloc();
}

void SlotArray::release() {
  if (mapped_bytes_ > 0) {
    ::munmap(data_, mapped_bytes_);
  } else {
    std::free(data_);
  }
  data_ = nullptr;
  mapped_bytes_ = 0;
}

}  // namespace tally::tx_index_detail
