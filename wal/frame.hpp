// Framing of one WAL record: [length u32 LE][masked CRC32C u32 LE][payload], see docs/wal_format.md.
// Also the segment file header. Pure functions over bytes; no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tally::wal {

inline constexpr std::size_t frame_header_bytes = 8;
inline constexpr std::size_t segment_header_bytes = 16;
inline constexpr std::uint32_t format_version = 1;

std::uint32_t crc32c(std::string_view data, std::uint32_t crc = 0);

// Appends the segment header (magic "TALLYWAL", version, header CRC).
void append_segment_header(std::string& out);
// True if data starts with a valid header of a version this build reads.
bool valid_segment_header(std::string_view data);

// Appends one framed record. payload must be 1..limits::wal_record_bytes_max bytes and a multiple of 8 in
// length (Cap'n Proto flat arrays are), so payloads stay 8-byte aligned in a segment.
void append_frame(std::string& out, std::string_view payload);
// The same frame for a payload already written in place: out[frame_start, +frame_header_bytes) is reserved for
// the header and the payload runs from there to out's end (an encoder writing straight into a WAL buffer).
// Fills the header; the payload rules and the refusal are append_frame's.
void seal_frame(std::string& out, std::size_t frame_start);

enum class FrameStatus {
  ok,
  end,        // no bytes left
  truncated,  // the header or payload runs past the end of the data
  bad_length, // zero, not a multiple of 8, or above the record limit
  bad_crc,
};

struct FrameRead {
  FrameStatus status = FrameStatus::end;
  std::string_view payload;
  std::size_t next_offset = 0;  // offset after this frame when ok
};

// Reads the frame starting at data[offset].
FrameRead read_frame(std::string_view data, std::size_t offset);

}  // namespace tally::wal
