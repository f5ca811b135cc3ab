// build_snapshot: newest valid snapshot + the WAL records after it, up to a durable closed position, streamed
// into a new snapshot file (tmp, fdatasync, rename, directory fsync). Needs nothing from the live ledger.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "disk/data_dir.hpp"
#include "disk/file_system.hpp"
#include "wal/wal_position.hpp"

namespace tally::snapshot {

struct BuildResult {
  enum class Outcome { built, nothing_new, failed };
  Outcome outcome = Outcome::failed;
  disk::IoStatus status;              // not ok exactly when failed: what, with file and byte offset where known
  std::vector<std::string> warnings;  // bases that turned out invalid and were skipped
  std::string path;                   // the new snapshot (built)
  std::string base;                   // the snapshot it extends; "" = built from WAL segment 1
  wal::WalPosition covered;
  std::uint64_t records = 0, users = 0, transactions = 0;
  std::uint64_t wal_records = 0;  // records taken from the WAL (the rest came from base)
  std::uint64_t bytes = 0;        // size of the new file
  double millis = 0;
};

// Builds snap-<covered_through>.snap in the data directory's snapshots/ covering every WAL record before
// covered_through. The caller guarantees that the WAL before covered_through is durable and no longer written
// (segments before the writer's current one, or anything once the writer stopped). The base is the newest valid
// snapshot not after covered_through; an invalid base is skipped (warning) for the next older one, then the WAL
// from segment 1. Nothing new (no WAL record after the base) writes nothing. On failure the .tmp file is removed
// and nothing else is touched. cancel (optional) is polled between chunks. Must not run concurrently with prune().
BuildResult build_snapshot(disk::FileSystem& fs, const disk::DataDir& data_dir, wal::WalPosition covered_through,
                           const std::atomic<bool>* cancel = nullptr);

}  // namespace tally::snapshot
