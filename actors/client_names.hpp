// The API client names the ledger has seen (auth/: a key's name, stored with every record it makes), interned:
// each record in memory keeps a small ordinal instead of the name (a transaction's entry one byte for the first
// 127 names, see tx_index_entry.hpp; a user slot four). Ordinal 0 is "" (open mode, or a record from before
// attribution). Names are never forgotten; there are few (one per key name ever used) and at most
// limits::client_names_max.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "ledger/limits.hpp"

namespace tally {

class ClientNames {
 public:
  using Ordinal = std::uint32_t;

  ClientNames();
  ~ClientNames();
  ClientNames(const ClientNames&) = delete;
  ClientNames& operator=(const ClientNames&) = delete;

  // Any thread. The same name always gets the same ordinal; "" gets 0.
  Ordinal intern(std::string_view name);
  // Any thread, for an ordinal intern() returned (to any thread: the name is published before the ordinal).
  const std::string& name(Ordinal ordinal) const;

 private:
  static constexpr std::size_t chunk_names = 1024;
  static constexpr std::size_t chunks_max = (limits::client_names_max + chunk_names - 1) / chunk_names;

  const std::uint64_t id_;                               // unique per table, for the per-thread memo
  std::unique_ptr<std::atomic<std::string*>[]> chunks_;  // each an array of chunk_names names
  std::mutex mutex_;                                     // interning
  std::unordered_map<std::string, Ordinal> ordinals_;    // under mutex_
  Ordinal next_ = 1;                                     // under mutex_
};

}  // namespace tally
