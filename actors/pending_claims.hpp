// PendingClaims: the uids claimed but not yet committed or released, in one TxIndex shard. A flat open-addressing
// table (linear probing, backward-shift deletion) with the uid's bytes inline: claiming and finishing a uid
// allocate nothing (a node and a string per claim did, twice per batch item with the uid's commit). The requests
// that wait on a claim (a uid repeated within a batch or in flight elsewhere: rare) live in a side map.
// Internal to TxIndex: used under its shard's mutex.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ledger/assert.hpp"
#include "ledger/limits.hpp"
#include "ledger/seeded_hash.hpp"

namespace tally::tx_index_detail {

template <class Retry>
class PendingClaims {
 public:
  // true: uid is now claimed; false: it already was (a later finish() hands the waiter back).
  bool claim(std::string_view uid, std::uint64_t hash) {
    TALLY_ASSERT(uid.size() <= limits::uid_bytes_max, "a claimed uid is a valid one");
    if ((count_ + 1) * 2 > slots_.size()) grow();
    std::size_t i = home(hash);
    for (; slots_[i].used; i = next(i))
      if (slots_[i].matches(uid, hash)) return false;
    slots_[i].set(uid, hash);
    ++count_;
    return true;
  }

  // Parks `retry` until uid's claim is finished. Only for a uid claim() just found claimed.
  void wait(std::string_view uid, std::uint64_t hash, Retry retry) {
    Slot& slot = slots_[find(uid, hash)];
    slot.waited = true;
    waiters_[std::string(uid)].push_back(std::move(retry));
  }

  // Ends uid's claim; its waiters, if any, are appended to `waiters` (to run outside the lock).
  void finish(std::string_view uid, std::uint64_t hash, std::vector<Retry>& waiters) {
    std::size_t i = find(uid, hash);
    if (slots_[i].waited) {
      auto it = waiters_.find(std::string(uid));
      TALLY_ASSERT(it != waiters_.end(), "a waited-on claim has its waiters");
      for (Retry& retry : it->second) waiters.push_back(std::move(retry));
      waiters_.erase(it);
    }
    // Backward-shift deletion: later members of the probe run move up, so no tombstones are needed.
    for (std::size_t j = next(i);; j = next(j)) {
      if (!slots_[j].used) break;
      const std::size_t h = home(slots_[j].hash);
      // Slot j may move to the hole at i when its home is not within (i, j] (cyclically).
      const bool stays = i <= j ? (i < h && h <= j) : (i < h || h <= j);
      if (stays) continue;
      slots_[i] = slots_[j];
      i = j;
    }
    slots_[i].used = false;
    --count_;
  }

  std::size_t size() const { return count_; }

  // Starts loading uid's home slot for a claim or finish soon (written by both: for writing). Reads the table's
  // address and size without the shard's lock, as TxIndex::prefetch does the table's: across a grow() the pair may
  // not match, and a prefetch of any address is harmless. A slot spans two cache lines.
  void prefetch(std::uint64_t hash) const {
    const Slot* slots = slots_hint_.load(std::memory_order_relaxed);
    const std::size_t mask = mask_hint_.load(std::memory_order_relaxed);
    if (slots == nullptr) return;
    const char* home_slot = reinterpret_cast<const char*>(slots + (static_cast<std::size_t>(hash >> 16) & mask));
    __builtin_prefetch(home_slot, 1);
    __builtin_prefetch(home_slot + sizeof(Slot) - 1, 1);
  }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    bool used = false;
    bool waited = false;
    std::uint8_t length = 0;
    char bytes[limits::uid_bytes_max];

    bool matches(std::string_view uid, std::uint64_t h) const {
      return hash == h && length == uid.size() && std::memcmp(bytes, uid.data(), uid.size()) == 0;
    }
    void set(std::string_view uid, std::uint64_t h) {
      hash = h;
      used = true;
      waited = false;
      length = static_cast<std::uint8_t>(uid.size());
      std::memcpy(bytes, uid.data(), uid.size());
    }
  };

  // The shard was picked by the hash's low bits: place by higher ones.
  std::size_t home(std::uint64_t hash) const { return static_cast<std::size_t>(hash >> 16) & (slots_.size() - 1); }
  std::size_t next(std::size_t i) const { return (i + 1) & (slots_.size() - 1); }
  std::size_t find(std::string_view uid, std::uint64_t hash) const {
    TALLY_ASSERT(!slots_.empty(), "commit or release of a uid that is not claimed");
    for (std::size_t i = home(hash);; i = next(i)) {
      TALLY_ASSERT(slots_[i].used, "commit or release of a uid that is not claimed");
      if (slots_[i].matches(uid, hash)) return i;
    }
  }
  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? slots_min : old.size() * 2, Slot{});
    for (const Slot& slot : old) {
      if (!slot.used) continue;
      std::size_t i = home(slot.hash);
      while (slots_[i].used) i = next(i);
      slots_[i] = slot;
    }
    mask_hint_.store(slots_.size() - 1, std::memory_order_relaxed);
    slots_hint_.store(slots_.data(), std::memory_order_relaxed);
  }

  static constexpr std::size_t slots_min = 64;  // a power of two, like every size it grows to
  std::vector<Slot> slots_;
  std::size_t count_ = 0;
  std::unordered_map<std::string, std::vector<Retry>, SeededStringHash> waiters_;
  std::atomic<const Slot*> slots_hint_{nullptr};  // slots_.data() and its size - 1, for prefetch()
  std::atomic<std::size_t> mask_hint_{0};
};

}  // namespace tally::tx_index_detail
