// Every transaction ever applied, by uid: the exactly-once gate for transactions and their durable store.
// Compact (an 18-byte header + the uid, 16 bytes for a canonical hex uuid, + an 8-byte slot at a load of at most
// 0.8, i.e. ~44 bytes per uuid-keyed transaction) and sharded for concurrency.
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
#include <vector>

#include "ledger/records.hpp"

namespace tally {

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
  template <class MakeRetry>
  Claim claim(const std::string& uid, MakeRetry&& make_retry) {
    using Maker = std::remove_reference_t<MakeRetry>;
    return claim_impl(uid, [](void* context) -> Retry { return (*static_cast<Maker*>(context))(); },
                      const_cast<void*>(static_cast<const void*>(&make_retry)));
  }
  // The claimed uid is durable as `record`; requests that waited on it run again.
  void commit(const TransactionApplied& record);
  // The claim is given up (refused): the uid is free again; requests that waited on it run again.
  void release(const std::string& uid);
  // Recovery: adds a durable record; false if the uid exists (or the record is out of the codec's limits).
  bool restore(const TransactionApplied& record) { return restore(record, hash(record.uid)); }
  // The same with the uid's hash(), computed ahead, e.g. to prefetch() it a few records earlier.
  bool restore(const TransactionApplied& record, std::uint64_t uid_hash);
  static std::uint64_t hash(std::string_view uid);
  // restore() of many records at once (hashes[i] = hash(records[i]->uid)): each shard locked once, table slots
  // prefetched ahead. Returns count if every record was added, else the index of one that was not (its uid
  // exists, or it is out of limits); records of other shards may then be added or not.
  std::size_t restore_bulk(const TransactionApplied* const* records, const std::uint64_t* hashes, std::size_t count);
  // Recovery: sizes the tables for about this many transactions in total, so restoring them never regrows
  // them. Only grows; an underestimate just means growing later as usual.
  void reserve(std::size_t transactions);

  std::optional<TransactionApplied> find_committed(std::string_view uid) const;
  std::size_t size() const;          // durable transactions
  std::size_t memory_bytes() const;  // what the index holds, for the memory report

  struct Shard;  // defined in tx_index.cpp

 private:
  Claim claim_impl(const std::string& uid, Retry (*make_retry)(void*), void* context);
  // A hint: brings the table slot where uid_hash's lookup starts into the cache (no lock taken).
  void prefetch(std::uint64_t uid_hash) const;

  static constexpr std::size_t shard_count = 64;
  std::array<std::unique_ptr<Shard>, shard_count> shards_;
};

}  // namespace tally
