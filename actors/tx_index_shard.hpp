// One TxIndex shard: durable transactions as packed entries (tx_index_entry.hpp) in 64 KiB arena chunks
// (tx_index_arena.hpp, never moved), an open-addressing table of (hash tag, entry offset) that finds them, and the in-flight claims.
//
// The table places a tag t (the hash's high 32 bits) at slot (t * slots) >> 32 and probes linearly, so any size
// works (it grows by 1.5x at a load of 0.8, or is sized up front by reserve()), and entries stay in tag order,
// which makes growing a sequential pass. The probing lives here, inline, for the claim and lookup paths; growing
// and entry allocation are in tx_index_shard.cpp, the staged (recovery) half in tx_index_restore.cpp.
// Internal to TxIndex: every member is used under `mutex`.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "actors/slot_array.hpp"
#include "actors/client_names.hpp"
#include "actors/pending_claims.hpp"
#include "actors/tx_index.hpp"
#include "actors/tx_index_arena.hpp"
#include "actors/tx_index_entry.hpp"
#include "actors/tx_index_uid.hpp"
#include "ledger/assert.hpp"

namespace tally {

namespace tx_index_detail {

inline constexpr std::size_t table_slots_min = 1024;
// Grow beyond a load of 0.85, by 1.25x: the load then stays within 0.68..0.85 (~10.5 bytes of table a
// transaction). Linear probing at 0.85 reads ~23 slots (3 cache lines, in order) to miss, ~4 to hit.
inline constexpr std::size_t load_num = 17, load_den = 20;
inline constexpr std::size_t growth_num = 5, growth_den = 4;
// After recovery a table is cut to a load of 0.8 (recovery sizes it from an over-estimate of the log's
// transactions), which leaves room for ~6% more before the first growth.
inline constexpr std::size_t fitted_num = 4, fitted_den = 5;
static_assert(entry_bytes_max < arena_chunk_bytes, "an entry must fit a chunk");

// The slot for tag t in a table of n slots: t * n / 2^32, so slot order follows tag order.
inline std::size_t home_of(std::uint64_t tag, std::size_t n) { return static_cast<std::size_t>((tag * n) >> 32); }

// A slot keeps the hash's high 32 bits and places by them too, so growing the table never rereads a uid.
// (The low bits pick the shard.) A slot is never 0 because it holds the entry offset + 1.
inline std::uint64_t tag_of(std::uint64_t hash) { return hash >> 32; }

inline void place_slot(std::uint64_t* t, std::size_t n, std::uint64_t slot) {
  std::size_t i = home_of(slot >> 32, n);
  while (t[i] != 0) {
    if (++i == n) i = 0;
  }
  t[i] = slot;
}

}  // namespace tx_index_detail

struct TxIndex::Shard {
  using SlotArray = tx_index_detail::SlotArray;
  using PackedUid = tx_index_detail::PackedUid;

  explicit Shard(ClientNames& names) : clients(&names) {}

  ClientNames* clients;  // the index's: entries hold ordinals
  mutable std::mutex mutex;
  tx_index_detail::EntryArena arena;
  std::uint32_t records = 0;
  SlotArray table;  // 0 = empty; else (tag << 32) | (entry offset + 1)
  std::size_t slots = 0;
  // The table's address and size for TxIndex::prefetch, which reads them without the lock: set with them by
  // resize_table. A pair read across a resize may not match; a prefetch of any address is harmless.
  std::atomic<const std::uint64_t*> table_hint{nullptr};
  std::atomic<std::size_t> slots_hint{0};
  tx_index_detail::PendingClaims<Retry> pending;  // claimed, not yet committed or released
  SlotArray staged;  // slots of entries written by stage() but not yet placed in the table
  std::size_t staged_count = 0, staged_capacity = 0, staged_hint = 0;
  std::optional<TransactionApplied> reused;  // a staged record whose uid was already there (not placed)

  const char* entry(std::uint32_t offset) const { return arena.entry(offset); }

  // Entry offset of uid, or -1.
  std::int64_t find(const PackedUid& uid, std::uint64_t hash) const {
    if (slots == 0) return -1;
    const std::uint64_t tag = tx_index_detail::tag_of(hash);
    for (std::size_t i = tx_index_detail::home_of(tag, slots);;) {
      const std::uint64_t slot = table[i];
      if (slot == 0) return -1;
      if ((slot >> 32) == tag) {
        const std::uint32_t offset = static_cast<std::uint32_t>(slot) - 1;
        if (tx_index_detail::same_uid(entry(offset), uid)) return offset;
      }
      if (++i == slots) i = 0;
    }
  }

  // Returns the entry written. `client` is clients->intern(tx.client), interned by the caller before it took
  // `mutex` (so that no TxIndex path holds two locks: see TxIndex::stage_bulk).
  const char* insert(const TransactionApplied& tx, const PackedUid& uid, std::uint64_t hash,
                     ClientNames::Ordinal client) {
    grow_table_if_needed();
    const char* written = nullptr;
    tx_index_detail::place_slot(table.get(), slots, write_entry(tx, uid, hash, client, written));
    TALLY_ASSERT(std::size_t{records} * tx_index_detail::load_den <= slots * tx_index_detail::load_num,
                 "the table stays at most 85% full, so every probe ends on a free slot");
    return written;
  }

  TransactionApplied materialise(std::uint32_t offset) const {
    const char* e = entry(offset);
    TransactionApplied tx = tx_index_detail::read_entry(e);
    tx.client = clients->name(tx_index_detail::read_client_ordinal(e));
    return tx;
  }

  // tx_index_shard.cpp
  void resize_table(std::size_t new_slots);
  void grow_table_if_needed();
  void reserve(std::size_t transactions);
  // Cuts (or grows) the table to a load of fitted_num / fitted_den: once recovery knows the true count.
  void fit();
  // Writes the entry (at `written`) and counts it; returns its table slot value. `client`: as for insert.
  std::uint64_t write_entry(const TransactionApplied& tx, const PackedUid& uid, std::uint64_t hash,
                            ClientNames::Ordinal client, const char*& written);

  // tx_index_restore.cpp: staged (bulk) restore: entries written, slots kept aside in `staged` until settle().
  const char* stage(const TransactionApplied& tx, const PackedUid& uid, std::uint64_t hash,
                    ClientNames::Ordinal client);  // the entry; `client` as for insert
  void settle();
};

}  // namespace tally
