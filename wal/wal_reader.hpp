// Reads every segment of a WAL directory in order and hands each valid record's payload to a visitor.
// Tells the zeroed room after the log's end (the logical end) and a torn tail (zeroed, logged) from damage in the
// middle (refuses, naming file and byte offset).
// Shares the format (frame.hpp) and positions (wal_position.hpp) with the writer, and nothing else.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "disk/file_system.hpp"
#include "wal/wal_position.hpp"

namespace tally::wal {

struct WalScan {
  disk::IoStatus status;           // "wal/wal-00000000000000000003.log at byte 4096: bad CRC ..." when not ok
  std::uint64_t records = 0;
  std::uint64_t bytes = 0;         // valid bytes read, headers included
  std::uint64_t segments = 0;
  std::uint64_t torn_bytes_cut = 0;  // torn bytes removed at the end of the last segment (zeroed, or cut if a header)
  WalPosition end;                 // the logical end: where a writer should write next (a zero tail may follow)
  std::uint64_t first_segment = 0;   // first segment read (0: none)
  bool torn_tail = false;            // a torn tail was found at torn_at, torn_bytes long (cut unless read_only)
  WalPosition torn_at;
  std::uint64_t torn_bytes = 0;
};

struct ScanOptions {
  // Where to begin. {0,0}: at the first segment found, whatever its number. Otherwise segments before
  // start.segment are skipped (they may have been deleted once a snapshot covered them), start.segment must
  // be the first segment present (a later one first means it is missing) and reading begins at start.offset
  // in it (at its first record if the offset is within the header). No segment at or after start.segment is
  // an empty log only if start.offset is within the header: otherwise covered data is missing.
  WalPosition start;
  // Report a torn tail (torn_tail, torn_at, torn_bytes) without cutting it: nothing is written through fs.
  bool read_only = false;
};

// The visitor also gets where the record's frame starts.
using PositionedVisitor = std::function<bool(WalPosition at, std::string_view payload)>;

// Segment files are named by segment_file_name (wal_position.hpp) in dir; other names are ignored. The visitor
// returns false to reject a record's content (recovery found it inconsistent): the scan then stops with an error
// at that offset. The last segment's zero tail is its logical end (not torn). A torn tail of the last segment is
// zeroed through fs (a torn header truncated) and reported in torn_bytes_cut.
// Visits come in log order: positions strictly increase.
WalScan scan_wal(disk::FileSystem& fs, const std::string& dir,
                 const std::function<bool(std::string_view payload)>& visit);
// The same from a position (see ScanOptions::start).
WalScan scan_wal(disk::FileSystem& fs, const std::string& dir, WalPosition start,
                 const std::function<bool(std::string_view payload)>& visit);
WalScan scan_wal(disk::FileSystem& fs, const std::string& dir, const ScanOptions& options, const PositionedVisitor& visit);

}  // namespace tally::wal
