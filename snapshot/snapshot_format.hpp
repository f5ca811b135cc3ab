// Snapshot file layout (docs/snapshot_format.md): names, the 32-byte header, chunk framing and the limits.
// Pure functions over bytes plus one directory listing; reading and writing whole files live elsewhere.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "wal/file_system.hpp"
#include "wal/wal_writer.hpp"

namespace tally::snapshot {

inline constexpr std::size_t header_bytes = 32;
inline constexpr std::uint32_t format_version = 1;
inline constexpr std::size_t chunk_frame_header_bytes = 8;
// A reader refuses larger chunks: the writer stays near the targets below, plus at most one record.
inline constexpr std::size_t chunk_bytes_max = 4 * 1024 * 1024;
inline constexpr std::size_t chunk_records_target = 4096;
inline constexpr std::size_t chunk_payload_bytes_target = 1024 * 1024;
// Bytes the writer gathers before one append: few syscalls, bounded memory.
inline constexpr std::size_t write_block_bytes = 1024 * 1024;
inline constexpr std::size_t snapshots_kept = 2;

inline constexpr char snapshots_subdir[] = "snapshots";
inline constexpr char wal_subdir[] = "wal";
inline constexpr char temp_suffix[] = ".tmp";

std::string snapshot_dir_of(const std::string& data_dir);
std::string wal_dir_of(const std::string& data_dir);

// Named, not operators: WalPosition belongs to wal/, and operators here would not be found by ADL there.
inline bool same_position(wal::WalPosition a, wal::WalPosition b) {
  return a.segment == b.segment && a.offset == b.offset;
}
inline bool position_before(wal::WalPosition a, wal::WalPosition b) {
  return a.segment != b.segment ? a.segment < b.segment : a.offset < b.offset;
}
std::string to_string(wal::WalPosition at);  // "segment 7 byte 4096"

// "snap-<20 digits>-<20 digits>.snap"
std::string snapshot_file_name(wal::WalPosition covered);
bool parse_snapshot_name(std::string_view name, wal::WalPosition& covered);

// "wal-<20 digits>.log" (the WAL reader's rule), for code that handles whole segments by number.
bool parse_wal_segment_name(std::string_view name, std::uint64_t& number);

struct SnapshotFile {
  std::string name;
  std::string path;
  wal::WalPosition covered;
};

struct SnapshotListing {
  std::vector<SnapshotFile> snapshots;  // newest (highest covered position) first
  std::vector<std::string> temp_paths;  // "<snapshot name>.tmp" leftovers
};
// A missing directory is an empty listing; returns 0 or an errno value.
int list_snapshots(wal::FileSystem& fs, const std::string& dir, SnapshotListing& out);

void append_header(std::string& out, wal::WalPosition covered);
// "" when data (at least header_bytes) is a valid header of this version; else what is wrong.
std::string parse_header(std::string_view data, wal::WalPosition& covered);

// [length][masked CRC32C of length bytes + payload][payload]; payload a multiple of 8, 8..chunk_bytes_max.
void append_chunk_frame(std::string& out, std::string_view payload);
// Checks a frame header read from the file; "" when the length is acceptable.
std::string check_chunk_length(std::uint32_t length);
bool chunk_crc_matches(std::string_view frame_header, std::string_view payload);

}  // namespace tally::snapshot
