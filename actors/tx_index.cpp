// TxIndex: per shard, durable records live in fixed chunks (never moved), uids in a byte arena, and an
// open-addressing table of (hash tag, record number) finds them; in-flight claims sit in a small side map.
#include "actors/tx_index.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "ledger/limits.hpp"

namespace tally {

namespace {

constexpr std::size_t records_per_chunk = 1024;
constexpr std::size_t uid_arena_chunk_bytes = 64 * 1024;
constexpr std::size_t table_slots_min = 1024;
constexpr std::uint8_t flag_withdraw = 1, flag_timestamp_given = 2;

[[noreturn]] void impossible(const char* what) {
  std::fprintf(stderr, "TxIndex invariant violated: %s\n", what);
  std::abort();
}

struct StoredTx {
  UtcMicros at;
  MinorUnits amount;
  std::uint32_t user_id;  // limits::users_max < 2^32
  std::uint32_t uid_ref;  // offset of [length byte][uid bytes] in the shard's arena
  std::uint8_t flags;
};
static_assert(limits::users_max <= UINT32_MAX, "user ids must fit the compact record");
static_assert(limits::uid_bytes_max < 256, "uid length must fit one byte");

std::uint64_t hash_uid(std::string_view uid) { return std::hash<std::string_view>{}(uid); }

}  // namespace

struct TxIndex::Shard {
  mutable std::mutex mutex;
  std::vector<std::unique_ptr<StoredTx[]>> record_chunks;
  std::uint32_t records = 0;
  std::vector<std::unique_ptr<char[]>> arena_chunks;
  std::size_t arena_used_in_last = uid_arena_chunk_bytes;  // forces the first chunk
  std::vector<std::uint64_t> table;  // 0 = empty; else (tag << 32) | (record number + 1)
  std::unordered_map<std::string, std::vector<Retry>> pending;

  const StoredTx& record(std::uint32_t n) const { return record_chunks[n / records_per_chunk][n % records_per_chunk]; }

  std::string_view uid_of(const StoredTx& r) const {
    const char* p = arena_chunks[r.uid_ref / uid_arena_chunk_bytes].get() + r.uid_ref % uid_arena_chunk_bytes;
    return std::string_view(p + 1, static_cast<unsigned char>(p[0]));
  }

  // A slot keeps the hash's high 32 bits and places by them too, so growing the table never rereads a uid.
  // (The low bits pick the shard.) A slot is never 0 because it holds the record number + 1.
  static std::uint64_t tag_of(std::uint64_t hash) { return hash >> 32; }

  // Record number of uid, or -1.
  std::int64_t find(std::string_view uid, std::uint64_t hash) const {
    if (table.empty()) return -1;
    const std::size_t mask = table.size() - 1;
    const std::uint64_t tag = tag_of(hash);
    for (std::size_t i = tag & mask;; i = (i + 1) & mask) {
      const std::uint64_t slot = table[i];
      if (slot == 0) return -1;
      if ((slot >> 32) == tag) {
        const std::uint32_t n = static_cast<std::uint32_t>(slot) - 1;
        if (uid_of(record(n)) == uid) return n;
      }
    }
  }

  void place_slot(std::uint64_t slot) {
    const std::size_t mask = table.size() - 1;
    std::size_t i = (slot >> 32) & mask;
    while (table[i] != 0) i = (i + 1) & mask;
    table[i] = slot;
  }
  void place(std::uint64_t hash, std::uint32_t n) {
    place_slot((tag_of(hash) << 32) | (static_cast<std::uint64_t>(n) + 1));
  }

  void grow_table_if_needed() {
    if ((static_cast<std::size_t>(records) + 1) * 4 < table.size() * 3) return;  // load factor < 0.75
    std::vector<std::uint64_t> old = std::move(table);
    table.assign(std::max(table_slots_min, old.size() * 2), 0);
    for (std::uint64_t slot : old) {
      if (slot != 0) place_slot(slot);
    }
  }

  std::uint32_t store_uid(std::string_view uid) {
    const std::size_t need = uid.size() + 1;
    if (arena_used_in_last + need > uid_arena_chunk_bytes) {
      arena_chunks.push_back(std::make_unique<char[]>(uid_arena_chunk_bytes));
      arena_used_in_last = 0;
    }
    const std::size_t offset = (arena_chunks.size() - 1) * uid_arena_chunk_bytes + arena_used_in_last;
    if (offset > UINT32_MAX - uid_arena_chunk_bytes) impossible("uid arena exceeds 4 GiB in one shard");
    char* p = arena_chunks.back().get() + arena_used_in_last;
    p[0] = static_cast<char>(uid.size());
    std::memcpy(p + 1, uid.data(), uid.size());
    arena_used_in_last += need;
    return static_cast<std::uint32_t>(offset);
  }

  void insert(const TransactionApplied& tx, std::uint64_t hash) {
    if (records == UINT32_MAX - 1) impossible("more than 4 billion transactions in one shard");
    grow_table_if_needed();
    if (records % records_per_chunk == 0) record_chunks.push_back(std::make_unique<StoredTx[]>(records_per_chunk));
    StoredTx& r = record_chunks[records / records_per_chunk][records % records_per_chunk];
    r.at = tx.at;
    r.amount = tx.amount;
    r.user_id = static_cast<std::uint32_t>(tx.user_id);
    r.uid_ref = store_uid(tx.uid);
    r.flags = static_cast<std::uint8_t>((tx.kind == TxKind::withdraw ? flag_withdraw : 0) |
                                        (tx.timestamp_given ? flag_timestamp_given : 0));
    place(hash, records);
    ++records;
  }

  TransactionApplied materialise(std::uint32_t n) const {
    const StoredTx& r = record(n);
    TransactionApplied tx;
    tx.uid = std::string(uid_of(r));
    tx.user_id = r.user_id;
    tx.kind = (r.flags & flag_withdraw) ? TxKind::withdraw : TxKind::deposit;
    tx.amount = r.amount;
    tx.at = r.at;
    tx.timestamp_given = (r.flags & flag_timestamp_given) != 0;
    return tx;
  }
};

TxIndex::TxIndex() {
  for (auto& shard : shards_) shard = std::make_unique<Shard>();
}

TxIndex::~TxIndex() = default;

TxIndex::Claim TxIndex::claim_impl(const std::string& uid, Retry (*make_retry)(void*), void* context) {
  const std::uint64_t hash = hash_uid(uid);
  Shard& shard = *shards_[hash % shard_count];
  std::lock_guard<std::mutex> lock(shard.mutex);
  const std::int64_t n = shard.find(uid, hash);
  if (n >= 0) return Claim{ClaimResult::committed, shard.materialise(static_cast<std::uint32_t>(n))};
  auto [it, inserted] = shard.pending.try_emplace(uid);
  if (inserted) return Claim{ClaimResult::claimed, std::nullopt};
  it->second.push_back(make_retry(context));
  return Claim{ClaimResult::waiting, std::nullopt};
}

void TxIndex::commit(const TransactionApplied& record) {
  const std::uint64_t hash = hash_uid(record.uid);
  Shard& shard = *shards_[hash % shard_count];
  std::vector<Retry> waiters;
  {
    std::lock_guard<std::mutex> lock(shard.mutex);
    auto it = shard.pending.find(record.uid);
    if (it == shard.pending.end()) impossible("commit of a uid that is not claimed");
    waiters = std::move(it->second);
    shard.pending.erase(it);
    shard.insert(record, hash);
  }
  for (Retry& retry : waiters) retry();
}

void TxIndex::release(const std::string& uid) {
  Shard& shard = *shards_[hash_uid(uid) % shard_count];
  std::vector<Retry> waiters;
  {
    std::lock_guard<std::mutex> lock(shard.mutex);
    auto it = shard.pending.find(uid);
    if (it == shard.pending.end()) impossible("release of a uid that is not claimed");
    waiters = std::move(it->second);
    shard.pending.erase(it);
  }
  for (Retry& retry : waiters) retry();
}

bool TxIndex::restore(const TransactionApplied& record) {
  const std::uint64_t hash = hash_uid(record.uid);
  Shard& shard = *shards_[hash % shard_count];
  std::lock_guard<std::mutex> lock(shard.mutex);
  if (shard.find(record.uid, hash) >= 0) return false;
  shard.insert(record, hash);
  return true;
}

std::optional<TransactionApplied> TxIndex::find_committed(std::string_view uid) const {
  const std::uint64_t hash = hash_uid(uid);
  const Shard& shard = *shards_[hash % shard_count];
  std::lock_guard<std::mutex> lock(shard.mutex);
  const std::int64_t n = shard.find(uid, hash);
  if (n < 0) return std::nullopt;
  return shard.materialise(static_cast<std::uint32_t>(n));
}

std::size_t TxIndex::size() const {
  std::size_t total = 0;
  for (const auto& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard->mutex);
    total += shard->records;
  }
  return total;
}

std::size_t TxIndex::memory_bytes() const {
  std::size_t total = 0;
  for (const auto& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard->mutex);
    total += shard->record_chunks.size() * records_per_chunk * sizeof(StoredTx) +
             shard->arena_chunks.size() * uid_arena_chunk_bytes + shard->table.size() * sizeof(std::uint64_t);
  }
  return total;
}

}  // namespace tally
