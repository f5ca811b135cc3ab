// A sharded, thread-safe index from a client-chosen key to its record, where a key is first claimed (pending),
// then committed (durable) or released (refused). Concurrent duplicates wait on the claim. Generic over the key's
// record; tallyd keeps its Idempotency-Keys here (ClaimIndex<UserCreated>). Transaction uids, far more numerous,
// live in the compact TxIndex (actors/tx_index.hpp), which keeps the same claim/commit/release contract.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ledger/assert.hpp"
#include "ledger/seeded_hash.hpp"

namespace tally {

template <class Record>
class ClaimIndex {
 public:
  using Retry = std::function<void()>;

  enum class ClaimResult { claimed, committed, waiting };
  struct Claim {
    ClaimResult result;
    std::optional<Record> existing;  // set when committed
  };

  // claimed: the caller owns the key until it calls commit() or release().
  // committed: the key is taken by `existing`.
  // waiting: another request holds the claim; make_retry() is called (only then, under the shard's lock: keep it
  // cheap) and the Retry it returns runs once the claim is committed or released (not under a lock), on the
  // committing or releasing thread.
  template <class MakeRetry>
  Claim claim(const std::string& key, MakeRetry&& make_retry) {
    Shard& shard = shard_for(key);
    std::lock_guard<std::mutex> lock(shard.mutex);
    auto [it, inserted] = shard.entries.try_emplace(key);
    if (inserted) return {ClaimResult::claimed, std::nullopt};
    Entry& entry = it->second;
    if (entry.committed) return {ClaimResult::committed, entry.record};
    if (!entry.waiters) entry.waiters = std::make_unique<std::vector<Retry>>();
    entry.waiters->push_back(Retry(make_retry()));
    return {ClaimResult::waiting, std::nullopt};
  }

  // Marks a claimed key durable with its record, then runs the requests that waited on it.
  void commit(const std::string& key, Record record) {
    std::unique_ptr<std::vector<Retry>> waiters;
    {
      Shard& shard = shard_for(key);
      std::lock_guard<std::mutex> lock(shard.mutex);
      auto it = shard.entries.find(key);
      TALLY_ASSERT(it != shard.entries.end() && !it->second.committed, "commit of a key that is not claimed");
      it->second.committed = true;
      it->second.record = std::move(record);
      waiters = std::move(it->second.waiters);
    }
    run(waiters);
  }

  // Gives up a claim (the request was refused): the key is free again; waiting requests are judged anew.
  void release(const std::string& key) {
    std::unique_ptr<std::vector<Retry>> waiters;
    {
      Shard& shard = shard_for(key);
      std::lock_guard<std::mutex> lock(shard.mutex);
      auto it = shard.entries.find(key);
      TALLY_ASSERT(it != shard.entries.end() && !it->second.committed, "release of a key that is not claimed");
      waiters = std::move(it->second.waiters);
      shard.entries.erase(it);
    }
    run(waiters);
  }

  // Recovery only (before serving; restores of different keys may run on several threads): inserts a committed
  // record; false if the key exists.
  bool restore(const std::string& key, Record record) {
    Shard& shard = shard_for(key);
    std::lock_guard<std::mutex> lock(shard.mutex);
    auto [it, inserted] = shard.entries.try_emplace(key);
    if (!inserted) return false;
    it->second.committed = true;
    it->second.record = std::move(record);
    return true;
  }

  // Only committed (durable) records are visible: a pending one could still be lost in a crash.
  std::optional<Record> find_committed(const std::string& key) const {
    const Shard& shard = shard_for(key);
    std::lock_guard<std::mutex> lock(shard.mutex);
    auto it = shard.entries.find(key);
    if (it == shard.entries.end() || !it->second.committed) return std::nullopt;
    return it->second.record;
  }

  std::size_t size() const {
    std::size_t total = 0;
    for (const Shard& shard : shards_) {
      std::lock_guard<std::mutex> lock(shard.mutex);
      total += shard.entries.size();
    }
    return total;
  }

 private:
  static constexpr std::size_t shard_count = 64;

  struct Entry {
    bool committed = false;
    Record record{};
    std::unique_ptr<std::vector<Retry>> waiters;  // rare: only concurrent duplicates
  };
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, Entry, SeededStringHash> entries;  // keyed: keys are the client's
  };

  Shard& shard_for(std::string_view key) { return shards_[SeededStringHash{}(key) % shard_count]; }
  const Shard& shard_for(std::string_view key) const { return shards_[SeededStringHash{}(key) % shard_count]; }
  static void run(std::unique_ptr<std::vector<Retry>>& waiters) {
    if (!waiters) return;
    for (Retry& retry : *waiters) retry();
  }

  std::array<Shard, shard_count> shards_;
};

}  // namespace tally
