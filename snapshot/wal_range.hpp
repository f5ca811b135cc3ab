// Reading a closed, durable stretch of the WAL [from, through): what a snapshot is built from, and what recovery
// re-checks under a snapshot. Unlike scan_wal there is no torn tail here: any damage is an error.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "disk/file_system.hpp"
#include "wal/wal_position.hpp"

namespace tally::snapshot {

// Returns false to stop (the read then fails with `stopped` set).
using WalRangeVisitor = std::function<bool(wal::WalPosition at, std::string_view payload)>;

struct WalRange {
  disk::IoStatus status;  // "…/wal-….log at byte 4096: damaged record (bad CRC) …" when not ok
  bool stopped = false;   // the visitor or cancel stopped it
  std::uint64_t records = 0;
  std::uint64_t bytes = 0;
};

// Every segment from from.segment (at from.offset, or its first record) through through.segment (up to
// through.offset) must exist, have a valid header and hold CRC-valid frames ending exactly at through.
// Segments other than through.segment are read to their end. visit may be empty (CRC check only). Visits come
// in log order, each position after the one before.
WalRange read_wal_range(disk::FileSystem& fs, const std::string& wal_dir, wal::WalPosition from,
                        wal::WalPosition through, const WalRangeVisitor& visit,
                        const std::atomic<bool>* cancel = nullptr);

}  // namespace tally::snapshot
