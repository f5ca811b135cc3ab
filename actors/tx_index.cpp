// TxIndex, the serving side: claiming a uid for a request, committing it once durable or releasing it when
// refused, and looking durable transactions up. Each uid's shard is picked by its hash; a shard (tx_index_shard.hpp)
// holds the packed entries and the table that finds them. Recovery's bulk path is in tx_index_restore.cpp.
#include "actors/tx_index.hpp"

#include "actors/tx_index_shard.hpp"
#include "ledger/assert.hpp"
#include "ledger/limits.hpp"

namespace tally {

using tx_index_detail::hash_uid;
using tx_index_detail::PackedUid;

namespace {
// TxIndex::prefetch loads the table's slots from a uid's home to this many slots on (8-byte slots: the next line).
constexpr std::size_t probe_prefetch_slots = 8;
}  // namespace

TxIndex::TxIndex() {
  for (auto& shard : shards_) shard = std::make_unique<Shard>(clients_);
}

TxIndex::~TxIndex() = default;

UidHash TxIndex::hash_of(std::string_view uid) { return UidHash{hash_uid(uid)}; }

TxIndex::Claim TxIndex::claim_impl(const std::string& uid, UidHash uid_hash, Retry (*make_retry)(void*),
                                   void* context) {
  const std::uint64_t hash = uid_hash.value;
  const PackedUid packed(uid);
  Shard& shard = *shards_[hash % shard_count];
  std::lock_guard<std::mutex> lock(shard.mutex);
  shard.settle();
  const std::int64_t n = shard.find(packed, hash);
  if (n >= 0) return Claim{ClaimResult::committed, shard.materialise(static_cast<std::uint32_t>(n))};
  if (shard.pending.claim(uid, hash)) return Claim{ClaimResult::claimed, std::nullopt};
  shard.pending.wait(uid, hash, make_retry(context));
  return Claim{ClaimResult::waiting, std::nullopt};
}

const char* TxIndex::commit(const TransactionApplied& record, UidHash uid_hash) {
  const std::uint64_t hash = uid_hash.value;
  const PackedUid packed(record.uid);
  const ClientNames::Ordinal client = clients_.intern(record.client);  // before the shard lock: see stage_bulk
  Shard& shard = *shards_[hash % shard_count];
  std::vector<Retry> waiters;
  const char* entry = nullptr;
  {
    std::lock_guard<std::mutex> lock(shard.mutex);
    shard.settle();
    TALLY_ASSERT(shard.find(packed, hash) < 0, "a claimed uid is not committed yet");
    shard.pending.finish(record.uid, hash, waiters);  // asserts the uid was claimed
    entry = shard.insert(record, packed, hash, client);
  }
  for (Retry& retry : waiters) retry();
  return entry;
}

void TxIndex::release(const std::string& uid, UidHash uid_hash) {
  const std::uint64_t hash = uid_hash.value;
  Shard& shard = *shards_[hash % shard_count];
  std::vector<Retry> waiters;
  {
    std::lock_guard<std::mutex> lock(shard.mutex);
    shard.pending.finish(uid, hash, waiters);  // asserts the uid was claimed
  }
  for (Retry& retry : waiters) retry();
}

std::optional<TransactionApplied> TxIndex::find_committed(std::string_view uid) const {
  if (uid.empty() || uid.size() > limits::uid_bytes_max) return std::nullopt;
  const std::uint64_t hash = hash_uid(uid);
  const PackedUid packed(uid);
  // Settling staged records changes no observable content: a const lookup may do it (the shard is not const).
  Shard& shard = *shards_[hash % shard_count];
  std::lock_guard<std::mutex> lock(shard.mutex);
  shard.settle();
  const std::int64_t n = shard.find(packed, hash);
  if (n < 0) return std::nullopt;
  return shard.materialise(static_cast<std::uint32_t>(n));
}

void TxIndex::prefetch(UidHash uid_hash) const {
  const std::uint64_t hash = uid_hash.value;
  const Shard& shard = *shards_[hash % shard_count];
  const std::uint64_t* table = shard.table_hint.load(std::memory_order_relaxed);
  const std::size_t slots = shard.slots_hint.load(std::memory_order_relaxed);
  if (table != nullptr && slots > 0) {
    // A probe that misses (every claim and commit of a new uid) reads on to the run's end: ~2 cache lines at the
    // table's usual load (tx_index_shard.hpp); a prefetch past the table's end is harmless.
    const std::uint64_t* home = table + tx_index_detail::home_of(tx_index_detail::tag_of(hash), slots);
    __builtin_prefetch(home);
    __builtin_prefetch(home + probe_prefetch_slots);
  }
  shard.pending.prefetch(hash);
}

std::size_t TxIndex::size() const {
  std::size_t total = 0;
  for (const auto& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard->mutex);
    shard->settle();
    total += shard->records;
  }
  return total;
}

std::size_t TxIndex::memory_bytes() const {
  std::size_t total = 0;
  for (const auto& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard->mutex);
    total += shard->arena.memory_bytes() +
             (shard->slots + shard->staged_capacity) * sizeof(std::uint64_t);
  }
  return total;
}

}  // namespace tally
