// Reads every segment of a WAL directory in order and hands each valid record's payload to a visitor.
// Tells a torn tail (cut off, logged) from damage in the middle (refuses, naming file and byte offset).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "wal/file_system.hpp"
#include "wal/wal_writer.hpp"

namespace tally::wal {

struct WalScan {
  bool ok = false;
  std::string error;               // when !ok: "wal/wal-00000000000000000003.log at byte 4096: bad CRC ..."
  std::uint64_t records = 0;
  std::uint64_t bytes = 0;         // valid bytes read, headers included
  std::uint64_t segments = 0;
  std::uint64_t torn_bytes_cut = 0;  // bytes removed from the end of the last segment
  WalPosition end;                 // where a writer should append next
};

// Segment files are "wal-<20-digit number>.log" in dir; other names are ignored. The visitor returns false to
// reject a record's content (recovery found it inconsistent): the scan then stops with an error at that offset.
// A torn tail of the last segment is truncated through fs (and reported in torn_bytes_cut).
WalScan scan_wal(FileSystem& fs, const std::string& dir,
                 const std::function<bool(std::string_view payload)>& visit);

std::string segment_file_name(std::uint64_t segment);

}  // namespace tally::wal
