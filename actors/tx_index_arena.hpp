// Where TxIndex's entries (tx_index_entry.hpp) live: 64 KiB chunks, each aligned to its size so an entry's chunk
// (and the base time at its start) is found from the entry's address alone. Chunks never move and are freed only
// with the arena, so an entry's address stays valid for the index's lifetime (user timelines hold it). An entry
// is named by its offset (chunk * 64 KiB + position): 32 bits, so at most 4 GiB of entries in one arena.
// Internal to TxIndex (and the timeline tests' stand-in store).
#pragma once

#include <cstdint>
#include <memory>
#include <new>
#include <vector>

#include "actors/tx_index_entry.hpp"
#include "ledger/assert.hpp"

namespace tally::tx_index_detail {

class EntryArena {
 public:
  // The entry named by `offset`, as append returned it.
  const char* entry(std::uint32_t offset) const {
    return chunks_[offset / arena_chunk_bytes].get() + offset % arena_chunk_bytes;
  }

  // Writes tx's entry; returns it and its offset. A new chunk takes tx.at as its base time.
  const char* append(const TransactionApplied& tx, const PackedUid& uid, std::uint32_t client,
                     std::uint32_t& offset) {
    std::size_t bytes = 0;
    if (!chunks_.empty()) bytes = entry_bytes(tx, uid, client, base_);
    if (chunks_.empty() || used_ + bytes > arena_chunk_bytes) {
      TALLY_ASSERT(chunks_.size() < UINT32_MAX / arena_chunk_bytes, "at most 4 GiB of entries in one arena");
      // Not value-initialised: every byte used is written.
      chunks_.emplace_back(static_cast<char*>(::operator new(arena_chunk_bytes, std::align_val_t{arena_chunk_bytes})));
      base_ = tx.at;
      store<std::int64_t>(chunks_.back().get(), base_);
      used_ = chunk_base_bytes;
      bytes = entry_bytes(tx, uid, client, base_);
    }
    TALLY_ASSERT(bytes <= entry_bytes_max && used_ + bytes <= arena_chunk_bytes, "an entry fits its chunk");
    offset = static_cast<std::uint32_t>((chunks_.size() - 1) * arena_chunk_bytes + used_);
    char* e = chunks_.back().get() + used_;
    const char* end = write_entry(e, tx, uid, client, base_);
    TALLY_ASSERT(static_cast<std::size_t>(end - e) == bytes, "an entry takes the bytes entry_bytes counted");
    used_ += bytes;
    return e;
  }

  std::size_t memory_bytes() const { return chunks_.size() * arena_chunk_bytes; }

 private:
  struct ChunkFree {
    void operator()(char* p) const { ::operator delete(p, std::align_val_t{arena_chunk_bytes}); }
  };
  std::vector<std::unique_ptr<char, ChunkFree>> chunks_;
  std::size_t used_ = 0;  // bytes of the last chunk in use (its base time included)
  UtcMicros base_ = 0;    // the last chunk's base time
};

}  // namespace tally::tx_index_detail
