// Where user ledger blocks (UserLedger, 32 bytes, one per user with a transaction) are allocated: blocks of 512
// carved in order, each thread carving its own block without a lock, freed ledgers kept on a list for reuse.
// Why not malloc: a ledger lives as long as its user, but recovery allocates it beside the first, short-lived growth
// steps of the same user's history and timeline nodes, which share its allocator size class; once those are freed
// the ledgers pin half-empty pages (3.2 B a transaction at ten a user, measured). Pool blocks are never returned to
// the system (ledgers are never dropped while the process serves). Under AddressSanitizer the pool steps aside, so
// a use after free of a ledger is still caught.
#pragma once

#include <cstddef>

namespace tally::ledger_pool {

inline constexpr std::size_t slot_bytes = 32;
inline constexpr std::size_t slots_per_block = 512;

// A slot of slot_bytes, 16-aligned. Throws std::bad_alloc when out of memory.
void* allocate();
// Returns a slot from allocate() for reuse.
void release(void* slot) noexcept;

}  // namespace tally::ledger_pool
