// Retention: keep the newest two valid snapshots and the WAL from the older one's covered segment on, so a
// damaged newest snapshot still leaves a complete fallback. Everything else that is fully covered goes.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "disk/data_dir.hpp"
#include "disk/file_system.hpp"

namespace tally::snapshot {

struct PruneResult {
  disk::IoStatus status;              // the first failure (pruning stops there; what is left is harmless)
  std::vector<std::string> kept;      // paths of the kept valid snapshots, newest first
  std::vector<std::string> removed;   // paths removed (snapshots, WAL segments, .tmp files)
  std::vector<std::string> warnings;  // invalid snapshots found (left in place unless older than the kept ones)
  std::uint64_t wal_segments_removed = 0, snapshots_removed = 0, temps_removed = 0;
};

// known_valid: snapshot paths the caller has just read or written in full (skips re-validating them).
// Must not run concurrently with build_snapshot (it deletes *.tmp files).
PruneResult prune(disk::FileSystem& fs, const disk::DataDir& data_dir, const std::set<std::string>& known_valid = {});

}  // namespace tally::snapshot
