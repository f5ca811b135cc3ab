// A position in the WAL (segment number, byte offset) and the names of segment files: all that the writer, the
// reader, snapshots and recovery share about where records are, with no threads and no I/O attached. The writer
// (wal_writer.hpp) and the reader (wal_reader.hpp) both build on this and frame.hpp, never on each other.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tally::wal {

struct WalPosition {
  std::uint64_t segment = 0;  // segment number in the file name
  std::uint64_t offset = 0;   // bytes into that segment
};

// Named, not operators, as their callers have always spelled them.
inline bool same_position(WalPosition a, WalPosition b) { return a.segment == b.segment && a.offset == b.offset; }
inline bool position_before(WalPosition a, WalPosition b) {
  return a.segment != b.segment ? a.segment < b.segment : a.offset < b.offset;
}
std::string to_string(WalPosition at);  // "segment 7 byte 4096"

// "wal-<20-digit number>.log": names sort like numbers.
std::string segment_file_name(std::uint64_t segment);
// The inverse: true and the number for "wal-<20 digits>.log", false for any other name.
bool parse_segment_file_name(std::string_view name, std::uint64_t& number);
// dir + "/" + segment_file_name(segment)
std::string segment_path(const std::string& dir, std::uint64_t segment);

}  // namespace tally::wal
