// Which user ids a ledger hands out: with N shards, shard K creates only ids ≡ K (mod N), so any pod finds a
// user's owner from the id alone (docs/sharding.md). One shard (stride 1, residue 0) is 1, 2, 3, ...
#pragma once

#include <cstdint>

#include "ledger/assert.hpp"
#include "ledger/records.hpp"

namespace tally {

struct UserIdSpace {
  std::uint32_t stride = 1;   // N, the number of shards
  std::uint32_t residue = 0;  // K, this shard

  bool holds(UserId id) const { return id != 0 && id % stride == residue; }
  // The smallest id of the space (never 0: shard 0 of 3 starts at 3).
  UserId first() const { return residue == 0 ? stride : residue; }
  // A dense index for a held id (its position among the space's ids, offset by at most one): what a table uses.
  std::uint64_t index_of(UserId id) const { return id / stride; }
};

}  // namespace tally
