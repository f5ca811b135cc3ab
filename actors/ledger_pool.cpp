// The ledger pool: a thread-local bump pointer into blocks of slots_per_block slots, a global free list (under a
// mutex, checked through an atomic count first so the common path takes no lock), and the list of every block (so
// the pool's memory stays reachable: leak checkers see it as in use, not lost).
#include "actors/ledger_pool.hpp"

#include <atomic>
#include <mutex>
#include <new>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define TALLY_LEDGER_POOL_OFF 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TALLY_LEDGER_POOL_OFF 1
#endif
#endif

namespace tally::ledger_pool {

#ifdef TALLY_LEDGER_POOL_OFF

void* allocate() { return ::operator new(slot_bytes, std::align_val_t{16}); }
void release(void* slot) noexcept { ::operator delete(slot, std::align_val_t{16}); }

#else

namespace {

struct FreeSlot {
  FreeSlot* next;
};

struct Pool {
  std::mutex mutex;
  FreeSlot* free_list = nullptr;     // under mutex
  std::atomic<std::size_t> free{0};  // slots on free_list
  std::vector<char*> blocks;         // under mutex: every block, kept for the process's life
};

Pool& pool() {
  static Pool* const instance = new Pool();  // never destroyed: ledgers may be freed during static destruction
  return *instance;
}

constexpr std::size_t block_bytes = slot_bytes * slots_per_block;
static_assert(slot_bytes % 16 == 0 && slot_bytes >= sizeof(FreeSlot), "slots are 16-aligned and hold a link");

thread_local char* bump = nullptr;
thread_local std::size_t bump_left = 0;  // slots left in this thread's block

}  // namespace

void* allocate() {
  Pool& p = pool();
  if (p.free.load(std::memory_order_relaxed) > 0) {
    std::lock_guard<std::mutex> lock(p.mutex);
    if (FreeSlot* slot = p.free_list) {
      p.free_list = slot->next;
      p.free.fetch_sub(1, std::memory_order_relaxed);
      return slot;
    }
  }
  if (bump_left == 0) {
    char* block = static_cast<char*>(::operator new(block_bytes, std::align_val_t{16}));
    std::lock_guard<std::mutex> lock(p.mutex);
    p.blocks.push_back(block);
    bump = block;
    bump_left = slots_per_block;
  }
  void* slot = bump;
  bump += slot_bytes;
  --bump_left;
  return slot;
}

void release(void* slot) noexcept {
  if (slot == nullptr) return;
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mutex);
  auto* free_slot = static_cast<FreeSlot*>(slot);
  free_slot->next = p.free_list;
  p.free_list = free_slot;
  p.free.fetch_add(1, std::memory_order_relaxed);
}

#endif

}  // namespace tally::ledger_pool
