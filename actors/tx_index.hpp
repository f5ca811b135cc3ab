// Every transaction ever applied, by uid: the exactly-once gate for transactions and their durable store.
// Compact (a ~12-byte header of varints + the uid, 16 bytes for a canonical hex uuid, + an 8-byte slot at a load
// of 0.68-0.85, i.e. ~40 bytes per uuid-keyed transaction) and sharded for concurrency. By job: claims and lookups
// (tx_index.cpp), recovery's bulk staging (tx_index_restore.cpp), one shard's table (tx_index_shard.*), the
// entry layout (tx_index_entry.hpp) and the chunks that hold entries (tx_index_arena.hpp), uid packing
// (tx_index_uid.hpp), and the huge-page slot arrays (slot_array.*).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "actors/client_names.hpp"
#include "ledger/records.hpp"

namespace tally {

// A uid's hash as TxIndex computes it (TxIndex::hash_of): the batch path hashes each uid once and carries it
// through prefetch, claim and commit. A hash that is not its uid's is caught where it is used: the claim it names
// is not found (a commit or release asserts the uid was claimed).
struct UidHash {
  std::uint64_t value;
};

class TxIndex {
 public:
  using Retry = std::function<void()>;
  enum class ClaimResult { claimed, committed, waiting };
  struct Claim {
    ClaimResult result;
    std::optional<TransactionApplied> existing;  // set when committed
  };

  TxIndex();
  ~TxIndex();
  TxIndex(const TxIndex&) = delete;
  TxIndex& operator=(const TxIndex&) = delete;

  // claimed: the caller owns the uid until commit() or release(). committed: `existing` holds it.
  // waiting: another request holds the claim; make_retry() is called (under the shard lock, so keep it cheap)
  // and the Retry it returns runs once the claim is committed or released.
  // The calls taking a UidHash take hash_of(uid), computed once by the caller.
  static UidHash hash_of(std::string_view uid);
  template <class MakeRetry>
  Claim claim(const std::string& uid, MakeRetry&& make_retry) {
    return claim(uid, hash_of(uid), std::forward<MakeRetry>(make_retry));
  }
  template <class MakeRetry>
  Claim claim(const std::string& uid, UidHash hash, MakeRetry&& make_retry) {
    using Maker = std::remove_reference_t<MakeRetry>;
    return claim_impl(uid, hash, [](void* context) -> Retry { return (*static_cast<Maker*>(context))(); },
                      const_cast<void*>(static_cast<const void*>(&make_retry)));
  }
  // The claimed uid is durable as `record`; requests that waited on it run again. Returns its entry, which stays
  // where it is for the index's lifetime (a user's TxTimeline points at it; tx_index_entry.hpp reads it).
  const char* commit(const TransactionApplied& record) { return commit(record, hash_of(record.uid)); }
  const char* commit(const TransactionApplied& record, UidHash hash);
  // The claim is given up (refused): the uid is free again; requests that waited on it run again.
  void release(const std::string& uid) { release(uid, hash_of(uid)); }
  void release(const std::string& uid, UidHash hash);
  // Recovery: adds a durable record; false if the uid exists (or the record is out of the codec's limits).
  // `entry`, if given, receives the record's entry (as commit returns it).
  bool restore(const TransactionApplied& record, const char** entry = nullptr);
  // Recovery, fastest: adds records without looking them up (entries written, table slots set aside), so a
  // reused uid is only found by settle_staged(), which places the staged slots in one sorted, sequential pass
  // per shard. Returns count, or the index of a record out of the codec's limits (then nothing is staged).
  // Every other call settles a shard before using it: staged records are never missed.
  // Takes one shard's lock at a time (the records grouped by shard first; why that is enough: the definition).
  // `entries`, if given, receives each staged record's entry (as commit returns it), in the records' order.
  std::size_t stage_bulk(const TransactionApplied* const* records, std::size_t count,
                         const char** entries = nullptr);
  // Settles shards part, part + parts, ... (so `parts` threads can share the work). Returns a staged record
  // whose uid was already in the index (that one is not added), if any shard met one.
  std::optional<TransactionApplied> settle_staged(std::size_t part = 0, std::size_t parts = 1);
  // Recovery: sizes the tables for about this many transactions in total, so restoring them never regrows
  // them. Only grows; an underestimate just means growing later as usual.
  void reserve(std::size_t transactions);

  std::optional<TransactionApplied> find_committed(std::string_view uid) const;
  // Starts loading the table slots and the in-flight claim slot where a claim or commit of uid will look, without
  // taking the shard's lock: a batch issues it a few items ahead, so the cache misses of random uids overlap.
  void prefetch(std::string_view uid) const { prefetch(hash_of(uid)); }
  void prefetch(UidHash hash) const;
  std::size_t size() const;          // durable transactions
  std::size_t memory_bytes() const;  // what the index holds, for the memory report

  struct Shard;  // defined in tx_index_shard.hpp
  static constexpr std::size_t shard_count = 64;  // a uid's shard: its hash modulo this

 private:
  Claim claim_impl(const std::string& uid, UidHash hash, Retry (*make_retry)(void*), void* context);

  ClientNames clients_;  // entries store a client's ordinal; declared first, so it outlives the shards
  std::array<std::unique_ptr<Shard>, shard_count> shards_;
};

}  // namespace tally
