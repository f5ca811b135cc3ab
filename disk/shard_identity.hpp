// DATA_DIR/SHARD: which shard of how many a data directory belongs to, written once on its first start and
// checked on every later one, so that a directory is never served as another shard or under another shard count
// (its user ids and uid reservations follow from both; docs/sharding.md says how to reshard). Text, two lines:
//   shards N
//   shard K
// Written to SHARD.tmp, fdatasync'ed, renamed, and the directory fsync'ed: a crash leaves the old state or the
// whole file, never part of one.
#pragma once

#include <cstdint>
#include <string>

#include "disk/data_dir.hpp"
#include "disk/file_system.hpp"
#include "disk/io_status.hpp"

namespace tally::disk {

struct ShardIdentity {
  std::uint32_t shards = 1;
  std::uint32_t shard = 0;
};

// ok with `refusal` empty: the directory is (now) this shard's. ok with `refusal` set: it belongs to another
// shard or shard count (the message says which). Not ok: the file could not be read or written.
IoStatus check_shard_identity(FileSystem& fs, const DataDir& dir, ShardIdentity wanted, std::string& refusal);

}  // namespace tally::disk
