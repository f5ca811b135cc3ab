// Every user's published facts by dense id: name, durable balance, and the actor that owns the rest.
// Lock-free reads from any thread (O(1) balance). A slot's name and created_at are written once, by its creator,
// before it is published with release order; its balance changes afterwards (see UserSlot::balance).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <caf/actor.hpp>

#include "actors/slot_name.hpp"
#include "actors/slot_owner.hpp"
#include "actors/tx_timeline.hpp"
#include "ledger/balance_history.hpp"
#include "ledger/limits.hpp"
#include "ledger/records.hpp"
#include "ledger/user_id_space.hpp"

namespace tally {

// The state a user actor owns. Before the actor is first needed it sits in its slot, "dormant".
struct UserLedger {
  BalanceHistory history;
  TxTimeline timeline;  // durable transactions only, in listing order (pending ones join it once durable)
};
// One per user with a transaction: 16 bytes, an allocator class (the pending records' counter is the actor's; the
// balance is the slot's).
static_assert(sizeof(UserLedger) <= 16, "a user's ledger block stays compact");

// Guards a slot's actor handle and dormant ledger. A spin lock (1 byte) rather than a std::mutex (40 bytes):
// it is held only for an enqueue or a hand-over, and there are millions of slots.
class SlotLock {
 public:
  void lock() {
    while (locked_.exchange(true, std::memory_order_acquire))
      while (locked_.load(std::memory_order_relaxed)) std::this_thread::yield();
  }
  void unlock() { locked_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> locked_{false};
};

struct UserSlot {
  std::atomic<bool> published{false};
  SlotLock lock;  // see `owner` below; beside `published` and `client`, the three share one word (8 B a user)
  // Who created it: an ordinal of LedgerService's ClientNames; immutable once published.
  std::uint32_t client = 0;
  // The first 32 bytes are what writes, recovery and the feed read (a 56-byte slot may straddle two cache lines;
  // prefetch_hot_part loads both ends of this part).
  // Under `lock`: either an actor runs and owns the ledger, or none does and the ledger sits dormant here
  // (none = a fresh ledger). Messages are only ever sent under the lock, so an actor that finds its mailbox
  // empty while holding it may hand the ledger back and quit (passivation) without losing one.
  SlotOwner<UserLedger> owner;
  // Durable balance now. Written by the WAL writer thread, which adds each of the user's entries as it becomes
  // durable, in log order (UserActor::publish_durable), and by recovery before serving; never by the actor, whose
  // history also holds entries not yet durable. Read by anyone (acquire).
  std::atomic<MinorUnits> balance{0};
  // The low-balance threshold of the funds events: written like `balance` (the WAL thread as a creation or an
  // update becomes durable, recovery before serving); read by anyone.
  std::atomic<MinorUnits> low_balance_threshold{0};
  SlotName name;  // immutable once published
  UtcMicros created_at = 0;

  static constexpr std::size_t hot_bytes = 32;
  void prefetch_hot_part() const {
    __builtin_prefetch(this);
    __builtin_prefetch(reinterpret_cast<const char*>(this) + hot_bytes - 1);
  }
};
static_assert(sizeof(UserSlot) <= 56, "a user slot stays compact: there is one per user");

class UserTable {
 public:
  static constexpr std::size_t slots_per_chunk = 1u << 14;
  static constexpr std::size_t chunks_max = (limits::users_max + slots_per_chunk - 1) / slots_per_chunk;
  static constexpr std::size_t chunk_bytes = slots_per_chunk * sizeof(UserSlot);  // 1 MiB: an allocator class

  // Holds the ids of `ids` only (one shard's: every N-th id), densely: a slot per id of the space.
  explicit UserTable(UserIdSpace ids = {});
  ~UserTable();
  UserTable(const UserTable&) = delete;
  UserTable& operator=(const UserTable&) = delete;

  // nullptr unless the user exists (is published). Any thread.
  UserSlot* find(UserId id) const;
  // Where id's slot lives (nullptr if its chunk does not exist), without reading the slot: a prefetch target.
  const UserSlot* address_of(UserId id) const;
  // The slot for a not-yet-published id (allocating its chunk). Only the id's single creator writes it.
  UserSlot& prepare(UserId id);
  void publish(UserSlot& slot);

  std::uint64_t size() const { return published_.load(std::memory_order_relaxed); }

 private:
  UserIdSpace ids_;
  std::unique_ptr<std::atomic<UserSlot*>[]> chunks_;
  std::mutex grow_mutex_;
  std::atomic<std::uint64_t> published_{0};
};

}  // namespace tally
