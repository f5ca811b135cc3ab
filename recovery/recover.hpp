// Startup recovery: restores the newest valid snapshot, then replays the WAL after it, so memory equals the
// durable log. Refuses (ok=false, with file and byte offset) rather than start from data it cannot account for.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ledger/ledger_restore.hpp"
#include "snapshot/snapshot_format.hpp"
#include "snapshot/snapshot_reader.hpp"
#include "wal/file_system.hpp"
#include "wal/wal_writer.hpp"

namespace tally::recovery {

struct RecoveryOptions {
  std::string wal_dir;
  std::string snapshot_dir;  // "" = WAL only
  // Changes nothing on disk (tally-admin): a torn tail is reported (torn_tail, torn_bytes), not cut, and a
  // snapshot ahead of the WAL is reported, not renamed.
  bool read_only = false;
};

struct RecoveryReport {
  bool ok = false;
  std::string error;
  std::uint64_t users = 0;  // restored in total (snapshot + WAL)
  std::uint64_t transactions = 0;
  std::uint64_t bytes = 0;     // WAL bytes replayed (after the snapshot)
  std::uint64_t segments = 0;  // WAL segments replayed
  std::uint64_t torn_bytes_cut = 0;
  double millis = 0;
  wal::WalPosition end;  // where the writer appends

  // Snapshot (docs/snapshot_format.md)
  std::string snapshot;               // path of the restored snapshot; "" = none (WAL from segment 1)
  wal::WalPosition snapshot_covered;  // the WAL is replayed from here
  std::uint64_t snapshot_records = 0;
  std::uint64_t wal_records = 0;             // records replayed from the WAL after the snapshot
  std::uint64_t wal_checked_records = 0;     // retained WAL records under the snapshot, CRC-checked only
  double snapshot_millis = 0;                // choosing + validating + restoring the snapshot
  std::vector<std::string> warnings;         // skipped snapshots (with file and byte offset), renamed stale ones
  std::vector<std::string> stale_snapshots;  // valid but ahead of the WAL's end: not used (renamed *.stale)
  bool torn_tail = false;                    // a torn tail was found at torn_at (cut unless read_only)
  wal::WalPosition torn_at;
  std::uint64_t torn_bytes = 0;
};

RecoveryReport recover(wal::FileSystem& fs, const RecoveryOptions& options, LedgerRestore& ledger);

// The snapshot recovery would restore: the newest valid one not ahead of the WAL's end. Reads only.
struct SnapshotPick {
  bool ok = false;  // false: a directory could not be listed
  std::string error;
  std::optional<snapshot::SnapshotFile> chosen;  // none: replay the WAL from segment 1
  snapshot::SnapshotRead chosen_read;            // its validation (counts, timestamps)
  std::vector<std::string> warnings;             // skipped snapshots, with file and byte offset
  std::vector<std::string> stale;                // valid but ahead of the WAL's end
  std::uint64_t wal_first_segment = 0;           // first WAL segment present (0: none)
};
SnapshotPick pick_snapshot(wal::FileSystem& fs, const RecoveryOptions& options);
// The data directory layout: snapshots in the "snapshots" directory next to wal_dir.
RecoveryReport recover(wal::FileSystem& fs, const std::string& wal_dir, LedgerRestore& ledger);

}  // namespace tally::recovery
