// Reading snapshots chunk by chunk (never the whole file at once): validation, restore, and choosing the newest
// valid snapshot with fallback. Every problem is reported with the file and byte offset.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/utc_time.hpp"
#include "snapshot/snapshot_format.hpp"
#include "disk/file_system.hpp"
#include "wal/record_codec.hpp"
#include "wal/wal_position.hpp"

namespace tally::snapshot {

struct SnapshotRecord {
  std::uint64_t chunk_offset = 0;       // byte offset of the chunk's frame in the file
  std::uint32_t index = 0;              // position of the record in its chunk
  std::string_view payload;             // the WAL payload, byte for byte
  wal::Record* record = nullptr;        // decoded; the visitor may move it away or put another
                                        // record in its place (recovery does: the next decode reuses it)
};
// Returns false to stop: the read then fails with "record rejected" at that chunk.
using SnapshotVisitor = std::function<bool(const SnapshotRecord& record)>;

struct SnapshotRead {
  disk::IoStatus status;  // "…/snap-….snap at byte 4136: bad chunk CRC" when not ok
  bool rejected = false;  // the visitor said no (the file itself may be fine)
  // Not a valid snapshot: what validate_snapshot(frames) finds (I/O error, header, a chunk's CRC or structure,
  // truncation, the footer). False when the frames are fine but a record did not decode or was rejected.
  bool invalid = false;
  std::string path;
  wal::WalPosition covered;
  std::uint64_t records = 0, users = 0, transactions = 0, user_updates = 0, chunks = 0;
  std::uint64_t bytes = 0;                           // file size
  std::optional<UtcMicros> first_tx_at, last_tx_at;  // earliest and latest transaction timestamps
};

enum class SnapshotCheck {
  // Header, every chunk's CRC and structure, the footer and the record and chunk totals: catches damage and
  // truncation at the cost of one checksummed read. Records are not decoded (users, transactions unknown).
  frames,
  // Also decodes every record and checks the user and transaction totals (and finds the timestamps).
  records,
};

// Reads every chunk in order, checking CRCs, decoding every record, and finally the footer and totals; visits
// records as it goes (so a caller that must not act on a bad file validates first).
SnapshotRead read_snapshot(disk::FileSystem& fs, const std::string& path, const SnapshotVisitor& visit);
// Recovery and retention use `frames`: a snapshot's records were decoded when it was built, and they are the
// WAL's own bytes, so a record that fails to decode later would fail in the WAL just the same.
SnapshotRead validate_snapshot(disk::FileSystem& fs, const std::string& path,
                               SnapshotCheck check = SnapshotCheck::frames);

// The transactions the footer claims, read from the file's last bytes alone (the footer is the last chunk and of
// one size); none if they do not hold a CRC-good footer. Not a validation: only for sizing before the restore.
std::optional<std::uint64_t> footer_transactions(disk::FileSystem& fs, const std::string& path);

struct SnapshotChoice {
  disk::IoStatus status;  // not ok: the directory could not be listed
  std::optional<SnapshotFile> chosen;  // none: no valid snapshot (replay the WAL from segment 1)
  SnapshotRead read;                   // validation result of the chosen one
  std::vector<std::string> skipped;    // one line per newer snapshot that was invalid (its status message)
};

// Validates snapshots newest first and returns the first valid one whose position is not after not_after.
SnapshotChoice newest_valid_snapshot(disk::FileSystem& fs, const std::string& snapshot_dir,
                                     wal::WalPosition not_after = wal::WalPosition{UINT64_MAX, UINT64_MAX});

}  // namespace tally::snapshot
