// TxIndex, the recovery side: adding durable records one by one (restore) or in bulk without looking them up
// (stage_bulk: entries written, table slots set aside), then placing the staged slots in tag order in one
// sequential pass per shard (settle), which is also where a reused uid is found. Filling the table that way costs
// a sequential pass instead of a cache (and TLB) miss per transaction.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <vector>

#include "actors/tx_index.hpp"
#include "actors/tx_index_shard.hpp"
#include "ledger/assert.hpp"
#include "ledger/limits.hpp"

namespace tally {

using namespace tx_index_detail;

namespace {

// Stable LSD radix sort of slot values by their tag (high 32 bits), a byte per pass: equal tags keep their order.
void sort_by_tag(std::uint64_t* slots, std::size_t n) {
  std::size_t spare_slots = n;
  SlotArray spare(spare_slots);
  std::uint64_t* from = slots;
  std::uint64_t* to = spare.get();
  for (unsigned shift = 32; shift < 64; shift += 8) {
    std::array<std::size_t, 257> start{};
    for (std::size_t i = 0; i < n; ++i) ++start[((from[i] >> shift) & 255) + 1];
    for (std::size_t d = 0; d < 256; ++d) start[d + 1] += start[d];
    for (std::size_t i = 0; i < n; ++i) to[start[(from[i] >> shift) & 255]++] = from[i];
    std::swap(from, to);
  }
  // Four passes: the sorted slots are back in `slots`.
  TALLY_ASSERT(from == slots, "an even number of passes ends in the caller's array");
}

bool restorable(const TransactionApplied& record) {
  // Anything the codec lets through; refused rather than stored truncated.
  return !record.uid.empty() && record.uid.size() <= limits::uid_bytes_max && record.amount >= 1 &&
         record.amount <= limits::amount_minor_max && record.user_id < limits::users_max;
}

// stage_bulk's per-batch work done before any lock: per record its uid's hash and its client's ordinal, and the
// records' indexes grouped by shard (a counting sort: stable, so each shard's run is in log order). Kept per
// thread, so a batch allocates nothing once the first has sized it.
struct StageScratch {
  std::vector<std::uint64_t> hashes;
  std::vector<ClientNames::Ordinal> clients;
  std::vector<std::uint32_t> order;                // record indexes, shard 0's run first
  std::array<std::size_t, TxIndex::shard_count + 1> start;  // shard k's run: order[start[k], start[k + 1])

  void group(const TransactionApplied* const* records, std::size_t count, ClientNames& names) {
    TALLY_ASSERT(count <= UINT32_MAX, "a staged batch is indexed by 32 bits");
    hashes.resize(count);
    clients.resize(count);
    order.resize(count);
    start.fill(0);
    for (std::size_t i = 0; i < count; ++i) {
      hashes[i] = hash_uid(records[i]->uid);
      clients[i] = names.intern(records[i]->client);
      ++start[hashes[i] % TxIndex::shard_count + 1];
    }
    for (std::size_t k = 0; k < TxIndex::shard_count; ++k) start[k + 1] += start[k];
    std::array<std::size_t, TxIndex::shard_count> next;
    std::copy(start.begin(), start.end() - 1, next.begin());
    for (std::size_t i = 0; i < count; ++i) {
      order[next[hashes[i] % TxIndex::shard_count]++] = static_cast<std::uint32_t>(i);
    }
  }
};

}  // namespace

const char* TxIndex::Shard::stage(const TransactionApplied& tx, const PackedUid& uid, std::uint64_t hash,
                                  ClientNames::Ordinal client) {
  if (staged_count == staged_capacity) {
    std::size_t capacity = std::max({staged_hint, table_slots_min, 2 * staged_capacity});
    SlotArray bigger(capacity);
    if (staged_count > 0) std::memcpy(bigger.get(), staged.get(), staged_count * sizeof(std::uint64_t));
    staged = std::move(bigger);
    staged_capacity = capacity;
  }
  const char* written = nullptr;
  staged[staged_count++] = write_entry(tx, uid, hash, client, written);
  return written;
}

// Places the staged slots in tag order: each lookup starts at or after the previous one's slot, so the pass
// over the table is sequential instead of one cache (and TLB) miss per record. A uid met again (the same tag,
// the same uid) is not placed; the first such is kept in `reused`.
void TxIndex::Shard::settle() {
  if (staged_count == 0) return;
  sort_by_tag(staged.get(), staged_count);
  if (records == staged_count) {
    // Nothing placed yet (recovery's one settle): the table is made at the size fit() would cut it to, rather
    // than filled at the reserved size (an over-estimate) and then copied into a smaller one.
    std::size_t want = std::max(table_slots_min, std::size_t{records} * fitted_den / fitted_num + 1);
    table = SlotArray(want);
    slots = want;
  } else if (records * load_den > slots * load_num) {
    resize_table(std::max(table_slots_min, records * load_den / load_num + 1));
  }
  for (std::size_t k = 0; k < staged_count; ++k) {
    const std::uint64_t slot = staged[k];
    TALLY_ASSERT(k == 0 || (staged[k - 1] >> 32) <= (slot >> 32), "staged slots are placed in tag order");
    const std::uint64_t tag = slot >> 32;
    const char* e = entry(static_cast<std::uint32_t>(slot) - 1);
    bool taken = false;
    std::size_t i = home_of(tag, slots);
    for (; table[i] != 0; i = (i + 1 == slots) ? 0 : i + 1) {
      if ((table[i] >> 32) == tag && same_entry_uid(entry(static_cast<std::uint32_t>(table[i]) - 1), e)) {
        taken = true;
        break;
      }
    }
    if (taken) {
      if (!reused) reused = materialise(static_cast<std::uint32_t>(slot) - 1);
      --records;  // its entry stays in the arena, unreachable
      continue;
    }
    table[i] = slot;
  }
  staged = SlotArray();
  staged_count = staged_capacity = 0;
}

bool TxIndex::restore(const TransactionApplied& record, const char** entry) {
  if (!restorable(record)) return false;
  const std::uint64_t hash = hash_uid(record.uid);
  const PackedUid packed(record.uid);
  const ClientNames::Ordinal client = clients_.intern(record.client);  // before the shard lock: see stage_bulk
  Shard& shard = *shards_[hash % shard_count];
  std::lock_guard<std::mutex> lock(shard.mutex);
  shard.settle();
  if (shard.find(packed, hash) >= 0) return false;
  const char* written = shard.insert(record, packed, hash, client);
  if (entry != nullptr) *entry = written;
  return true;
}

std::size_t TxIndex::stage_bulk(const TransactionApplied* const* records, std::size_t count,
                                const char** entries) {
  for (std::size_t i = 0; i < count; ++i) {
    if (!restorable(*records[i])) return i;
  }
  // One shard lock at a time, never two, and ClientNames' mutex never under one. (This held all 64 shard locks
  // for the whole batch, to take each once per batch rather than once per record; nothing needed them together.
  // TSan's lock-order checker cannot track more than 64 held mutexes.) Staging in shard groups keeps what staging
  // guarantees, because a staged record is seen by nobody until its own shard settles, under that shard's lock:
  // - exactly once per uid: a uid has one shard, and settle() meets every slot staged there (from any call) and
  //   places the first in log order; each shard's records are staged in log order here (a stable grouping);
  // - no half claim: a uid's entry and slot are written under its shard's lock in one step, and a reader (a
  //   lookup or claim settles the shard first) sees either all of that shard's records of this batch or none.
  //   Shards other than its own say nothing about a uid, so no reader can act on a batch seen in part.
  // First, with no lock held: each uid's hash and shard, and each client's ordinal (interned, own mutex).
  thread_local StageScratch scratch;
  scratch.group(records, count, clients_);
  for (std::size_t k = 0; k < shard_count; ++k) {
    const std::uint32_t* first = scratch.order.data() + scratch.start[k];
    const std::uint32_t* last = scratch.order.data() + scratch.start[k + 1];
    if (first == last) continue;
    Shard& shard = *shards_[k];
    std::lock_guard<std::mutex> lock(shard.mutex);
    for (const std::uint32_t* at = first; at != last; ++at) {
      const TransactionApplied& record = *records[*at];
      const char* written =
          shard.stage(record, PackedUid(record.uid), scratch.hashes[*at], scratch.clients[*at]);
      if (entries != nullptr) entries[*at] = written;
    }
  }
  return count;
}

std::optional<TransactionApplied> TxIndex::settle_staged(std::size_t part, std::size_t parts) {
  std::optional<TransactionApplied> reused;
  for (std::size_t k = part; k < shard_count; k += std::max<std::size_t>(parts, 1)) {
    Shard& shard = *shards_[k];
    std::lock_guard<std::mutex> lock(shard.mutex);
    shard.settle();
    shard.fit();
    if (shard.reused && !reused) reused = std::move(shard.reused);
    shard.reused.reset();  // reported (one per call is enough: it refuses the log)
  }
  return reused;
}

void TxIndex::reserve(std::size_t transactions) {
  // Shards fill evenly (by hash); 1/64 of the total plus a margin of a few standard deviations.
  const std::size_t per_shard = transactions / shard_count;
  const std::size_t margin = 64 + 4 * static_cast<std::size_t>(std::sqrt(static_cast<double>(per_shard)));
  for (auto& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard->mutex);
    shard->reserve(per_shard + margin);
  }
}

}  // namespace tally
