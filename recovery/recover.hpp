// Startup recovery: replays the WAL into the ledger before the first request, so memory equals the durable log.
// Refuses (ok=false, with file and byte offset) rather than start from a log it cannot fully account for.
#pragma once

#include <cstdint>
#include <string>

#include "actors/ledger_service.hpp"
#include "wal/file_system.hpp"
#include "wal/wal_writer.hpp"

namespace tally::recovery {

struct RecoveryReport {
  bool ok = false;
  std::string error;
  std::uint64_t users = 0;
  std::uint64_t transactions = 0;
  std::uint64_t bytes = 0;
  std::uint64_t segments = 0;
  std::uint64_t torn_bytes_cut = 0;
  double millis = 0;
  wal::WalPosition end;  // where the writer appends
};

RecoveryReport recover(wal::FileSystem& fs, const std::string& wal_dir, LedgerService& ledger);

}  // namespace tally::recovery
