// Snapshot file layout (docs/snapshot_format.md): names, the 32-byte header, chunk framing and the limits.
// Pure functions over bytes plus one directory listing; reading and writing whole files live elsewhere. Where the
// snapshots directory is belongs to disk::DataDir.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "disk/file_system.hpp"
#include "wal/wal_position.hpp"

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

inline constexpr char temp_suffix[] = ".tmp";

// "snap-<20 digits>-<20 digits>.snap"
std::string snapshot_file_name(wal::WalPosition covered);
bool parse_snapshot_name(std::string_view name, wal::WalPosition& covered);

struct SnapshotFile {
  std::string name;
  std::string path;
  wal::WalPosition covered;
};

struct SnapshotListing {
  std::vector<SnapshotFile> snapshots;  // newest (highest covered position) first
  std::vector<std::string> temp_paths;  // "<snapshot name>.tmp" leftovers
};
// A missing directory is an empty listing.
disk::IoStatus list_snapshots(disk::FileSystem& fs, const std::string& dir, SnapshotListing& out);

void append_header(std::string& out, wal::WalPosition covered);
// Ok (and covered set) when data, the first bytes of `path`, starts with a valid header of this version;
// else what is wrong, at byte 0 of path.
disk::IoStatus parse_header(std::string_view data, const std::string& path, wal::WalPosition& covered);

// [length][masked CRC32C of length bytes + payload][payload]; payload a multiple of 8, 8..chunk_bytes_max
// (throws std::invalid_argument otherwise: a bug in the writer).
void append_chunk_frame(std::string& out, std::string_view payload);
// A chunk length a reader accepts: 8..chunk_bytes_max and a multiple of 8.
bool chunk_length_ok(std::uint32_t length);
bool chunk_crc_matches(std::string_view frame_header, std::string_view payload);

}  // namespace tally::snapshot
