// TxIndex::Shard's slower half: growing the table in one sequential pass, sizing it up front, and writing entries
// to the arena (the probing itself is inline in tx_index_shard.hpp).
#include "actors/tx_index_shard.hpp"

#include <algorithm>

namespace tally {

using namespace tx_index_detail;

void TxIndex::Shard::resize_table(std::size_t new_slots) {
  TALLY_ASSERT(std::size_t{records} * load_den <= new_slots * load_num && new_slots <= UINT32_MAX,
               "a new table holds every entry within the load limit, and home_of can place in it");
  SlotArray fresh(new_slots);
  // In tag order, so each slot lands at or just after the previous one's: a sequential pass over both.
  // Slots that wrapped around the old table's end (placed at its start) are taken last.
  std::size_t first = 0;
  while (first < slots && table[first] != 0 && home_of(table[first] >> 32, slots) > first) ++first;
  std::size_t moved = 0;
  for (std::size_t i = first; i < slots; ++i) {
    if (table[i] != 0) {
      place_slot(fresh.get(), new_slots, table[i]);
      ++moved;
    }
  }
  for (std::size_t i = 0; i < first; ++i) {
    place_slot(fresh.get(), new_slots, table[i]);
    ++moved;
  }
  table = std::move(fresh);
  slots = new_slots;
  table_hint.store(table.get(), std::memory_order_relaxed);
  slots_hint.store(slots, std::memory_order_relaxed);
  TALLY_ASSERT(moved <= records, "growing moves every placed slot once, and no more than there are entries");
}

void TxIndex::Shard::grow_table_if_needed() {
  if ((static_cast<std::size_t>(records) + 1) * load_den <= slots * load_num) return;
  resize_table(std::max(table_slots_min, slots * growth_num / growth_den));
}

void TxIndex::Shard::fit() {
  TALLY_ASSERT(staged_count == 0, "a shard is fitted once settled");
  const std::size_t want = std::max(table_slots_min, std::size_t{records} * fitted_den / fitted_num + 1);
  // Only a table more than an eighth too big is cut (a pass over it); one between 0.8 and 0.85 full stays.
  if (slots > want + want / 8 && want <= UINT32_MAX) resize_table(want);
}

void TxIndex::Shard::reserve(std::size_t transactions) {
  staged_hint = transactions;
  const std::size_t want = transactions * load_den / load_num + 1;
  if (want > slots && want <= UINT32_MAX) resize_table(std::max(table_slots_min, want));
}

std::uint64_t TxIndex::Shard::write_entry(const TransactionApplied& tx, const PackedUid& uid, std::uint64_t hash,
                                          ClientNames::Ordinal client, const char*& written) {
  TALLY_ASSERT(records < UINT32_MAX - 1, "at most 4 billion transactions in one shard");
  std::uint32_t offset = 0;
  written = arena.append(tx, uid, client, offset);
  ++records;
  return (tag_of(hash) << 32) | (static_cast<std::uint64_t>(offset) + 1);
}

}  // namespace tally
