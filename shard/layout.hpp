// The cluster as this process sees it: N shards, which one it is, and every shard's base URL; and the two
// ownership rules every pod applies alike (docs/sharding.md): a user belongs to shard (id mod N); a uid's home,
// where it is reserved cluster-wide, is shard (FNV-1a 64 of its bytes mod N). Pure functions, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/records.hpp"
#include "ledger/user_id_space.hpp"

namespace tally::shard {

using ShardId = std::uint32_t;

struct ShardLayout {
  std::uint32_t count = 1;         // N
  ShardId self = 0;                // K
  std::vector<std::string> peers;  // N base URLs without a trailing '/', in shard order; empty when N = 1

  bool clustered() const { return count > 1; }
  ShardId owner_of_user(UserId id) const { return static_cast<ShardId>(id % count); }
  ShardId home_of_uid(std::string_view uid) const;  // inline below: rest/ uses it without linking shard/
  UserIdSpace user_ids() const { return UserIdSpace{count, self}; }
};

// FNV-1a, 64 bits (offset basis 14695981039346656037, prime 1099511628211) over the uid's bytes as received.
inline std::uint64_t fnv1a_64(std::string_view bytes) {
  std::uint64_t hash = 14695981039346656037ull;
  for (const char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  return hash;
}

inline ShardId ShardLayout::home_of_uid(std::string_view uid) const {
  return count == 1 ? 0 : static_cast<ShardId>(fnv1a_64(uid) % count);
}

// What the flags and environment said, before they are checked.
struct LayoutSettings {
  std::uint32_t shards = 1;
  std::optional<std::int64_t> shard;  // --shard / TALLY_SHARD
  std::string host_name;              // for the "-<ordinal>" suffix when --shard is absent
  std::string peers;                  // "URL0,URL1,..."
  std::string peer_template;          // "http://tally-{}.tally-peers:8000"
};

// The layout, or the reason to refuse to start (a message for the operator) in `refusal`.
std::optional<ShardLayout> resolve_layout(const LayoutSettings& settings, std::string& refusal);

// "tally-2" -> 2; nullopt without a "-<digits>" suffix.
std::optional<std::int64_t> host_ordinal(std::string_view host_name);

}  // namespace tally::shard
