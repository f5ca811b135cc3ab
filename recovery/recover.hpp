// Startup recovery: restores the newest valid snapshot, then replays the WAL after it, so memory equals the
// durable log. Refuses (a failed status, with file and byte offset) rather than start from data it cannot
// account for.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "disk/data_dir.hpp"
#include "disk/file_system.hpp"
#include "ledger/ledger_restore.hpp"
#include "snapshot/snapshot_format.hpp"
#include "snapshot/snapshot_reader.hpp"
#include "wal/record_codec.hpp"
#include "wal/wal_position.hpp"

namespace tally::recovery {

struct RecoveryOptions {
  disk::DataDir data_dir;  // the WAL in data_dir.wal(), snapshots in data_dir.snapshots()
  bool use_snapshots = true;  // false: the WAL alone, from segment 1
  // Changes nothing on disk (tally-admin): a torn tail is reported (torn_tail, torn_bytes), not cut, and a
  // snapshot ahead of the WAL is reported, not renamed.
  bool read_only = false;
  // Called with every restored record (the snapshot's, then the WAL's), in log order, on the reading thread;
  // false refuses the log like a record the ledger rejects. tallyd rebuilds its change feed here.
  std::function<bool(const wal::Record&)> on_record;
  // Set: the newest snapshot is restored by the same read that validates it (one read of the file, not a
  // validating read and then a restoring one). If it proves invalid part way (bad CRC, truncated, footer), recovery
  // calls start_over, which must throw away everything restored so far (the ledger and what on_record built) and
  // return a fresh ledger, and recovery starts again passing over that snapshot. Unset: every snapshot is
  // validated before any of its records is restored (tally-admin).
  std::function<LedgerRestore&()> start_over;
};

struct RecoveryReport {
  disk::IoStatus status;    // not ok: tallyd must not start (what, with file and byte offset)
  std::uint64_t users = 0;  // restored in total (snapshot + WAL)
  std::uint64_t transactions = 0;
  std::uint64_t user_updates = 0;
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

RecoveryReport recover(disk::FileSystem& fs, const RecoveryOptions& options, LedgerRestore& ledger);
// With the defaults: snapshots used, torn tails cut.
RecoveryReport recover(disk::FileSystem& fs, const disk::DataDir& data_dir, LedgerRestore& ledger);

// The snapshot recovery would restore: the newest valid one not ahead of the WAL's end. Reads only.
struct SnapshotPick {
  disk::IoStatus status;                         // not ok: a directory could not be listed
  std::optional<snapshot::SnapshotFile> chosen;  // none: replay the WAL from segment 1
  snapshot::SnapshotRead chosen_read;            // its validation (counts, timestamps)
  std::vector<std::string> warnings;             // skipped snapshots, with file and byte offset
  std::vector<std::string> stale;                // valid but ahead of the WAL's end
  std::uint64_t wal_first_segment = 0;           // first WAL segment present (0: none)
};
SnapshotPick pick_snapshot(disk::FileSystem& fs, const disk::DataDir& data_dir);

}  // namespace tally::recovery
