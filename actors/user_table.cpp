// UserTable: chunked so that ids stay dense and slots never move (readers hold raw pointers without locks).
// Chunks are allocated on first use and freed only with the table.
#include "actors/user_table.hpp"

#include <new>

#include "ledger/assert.hpp"

namespace tally {

UserTable::UserTable(UserIdSpace ids) : ids_(ids), chunks_(new std::atomic<UserSlot*>[chunks_max]) {
  for (std::size_t i = 0; i < chunks_max; ++i) chunks_[i].store(nullptr, std::memory_order_relaxed);
}

namespace {

// A chunk is one block of exactly slots_per_chunk * sizeof(UserSlot) bytes (1 MiB), slots constructed in place.
// Not `new UserSlot[n]`: for a type with a destructor that adds an 8-byte count in front, which took the block
// from jemalloc's 1 MiB size class to its 1.25 MiB one (a quarter more address space and metadata per user).
UserSlot* make_chunk() {
  void* block = ::operator new(UserTable::chunk_bytes);
  auto* slots = static_cast<UserSlot*>(block);
  for (std::size_t i = 0; i < UserTable::slots_per_chunk; ++i) new (&slots[i]) UserSlot();
  return slots;
}

void free_chunk(UserSlot* slots) {
  if (slots == nullptr) return;
  for (std::size_t i = 0; i < UserTable::slots_per_chunk; ++i) slots[i].~UserSlot();
  ::operator delete(static_cast<void*>(slots));
}

}  // namespace

UserTable::~UserTable() {
  for (std::size_t i = 0; i < chunks_max; ++i) free_chunk(chunks_[i].load(std::memory_order_relaxed));
}

UserSlot* UserTable::find(UserId id) const {
  if (id >= limits::users_max || !ids_.holds(id)) return nullptr;
  const std::uint64_t index = ids_.index_of(id);
  UserSlot* chunk = chunks_[index / slots_per_chunk].load(std::memory_order_acquire);
  if (chunk == nullptr) return nullptr;
  UserSlot* slot = &chunk[index % slots_per_chunk];
  return slot->published.load(std::memory_order_acquire) ? slot : nullptr;
}

const UserSlot* UserTable::address_of(UserId id) const {
  if (id >= limits::users_max || !ids_.holds(id)) return nullptr;
  const std::uint64_t index = ids_.index_of(id);
  const UserSlot* chunk = chunks_[index / slots_per_chunk].load(std::memory_order_acquire);
  return chunk == nullptr ? nullptr : &chunk[index % slots_per_chunk];
}

UserSlot& UserTable::prepare(UserId id) {
  TALLY_ASSERT(id < limits::users_max && ids_.holds(id), "a user id of this shard in 1..users_max-1");
  const std::uint64_t index = ids_.index_of(id);
  std::atomic<UserSlot*>& cell = chunks_[index / slots_per_chunk];
  UserSlot* chunk = cell.load(std::memory_order_acquire);
  if (chunk == nullptr) {
    std::lock_guard<std::mutex> lock(grow_mutex_);
    chunk = cell.load(std::memory_order_acquire);
    if (chunk == nullptr) {
      chunk = make_chunk();
      cell.store(chunk, std::memory_order_release);
    }
  }
  return chunk[index % slots_per_chunk];
}

void UserTable::publish(UserSlot& slot) {
  const bool was_published = slot.published.exchange(true, std::memory_order_release);
  TALLY_ASSERT(!was_published, "a user is published once");
  published_.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace tally
