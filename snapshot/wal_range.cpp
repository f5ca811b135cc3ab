// read_wal_range: one segment in memory at a time (segments are bounded, limits::wal_segment_bytes_max), frames
// checked with the WAL's own read_frame, every problem named by file and byte offset.
#include "snapshot/wal_range.hpp"

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "wal/frame.hpp"
#include "wal/wal_reader.hpp"

namespace tally::snapshot {
namespace {

std::string describe_errno(int err) { return std::error_code(err, std::generic_category()).message(); }

const char* describe(wal::FrameStatus status) {
  switch (status) {
    case wal::FrameStatus::truncated: return "truncated record";
    case wal::FrameStatus::bad_length: return "bad record length";
    case wal::FrameStatus::bad_crc: return "bad CRC";
    default: return "unexpected frame status";
  }
}

}  // namespace

WalRange read_wal_range(wal::FileSystem& fs, const std::string& wal_dir, wal::WalPosition from,
                        wal::WalPosition through, const WalRangeVisitor& visit, const std::atomic<bool>* cancel) {
  WalRange range;
  auto fail = [&](const std::string& error) {
    range.error = error;
    return range;
  };
  std::string data;
  for (std::uint64_t segment = std::max<std::uint64_t>(from.segment, 1); segment <= through.segment; ++segment) {
    if (cancel != nullptr && cancel->load()) {
      range.stopped = true;
      return fail("cancelled");
    }
    if (segment == through.segment && through.offset <= wal::segment_header_bytes) break;  // nothing of it
    const std::string path = wal_dir + "/" + wal::segment_file_name(segment);
    if (int err = fs.read_all(path, data))
      return fail(path + ": " +
                  (err == ENOENT ? std::string("segment missing") : "cannot read: " + describe_errno(err)));
    auto at = [&](std::uint64_t offset) { return path + " at byte " + std::to_string(offset) + ": "; };
    const std::uint64_t end = segment == through.segment ? through.offset : data.size();
    if (end > data.size()) return fail(at(data.size()) + "segment ends before byte " + std::to_string(end));
    if (!wal::valid_segment_header(data)) return fail(at(0) + "bad or torn segment header in a closed segment");
    const std::uint64_t begin = segment == from.segment
                                    ? std::max<std::uint64_t>(from.offset, wal::segment_header_bytes)
                                    : wal::segment_header_bytes;
    if (begin > end) return fail(at(end) + "range ends before it begins (byte " + std::to_string(begin) + ")");
    const std::string_view view = std::string_view(data).substr(0, static_cast<std::size_t>(end));
    std::size_t offset = static_cast<std::size_t>(begin);
    for (;;) {
      const wal::FrameRead frame = wal::read_frame(view, offset);
      if (frame.status == wal::FrameStatus::end) break;
      if (frame.status != wal::FrameStatus::ok) {
        if (end < data.size() && frame.status == wal::FrameStatus::truncated)
          return fail(at(offset) + "byte " + std::to_string(end) + " is not a record boundary");
        return fail(at(offset) + "damaged record (" + describe(frame.status) + ") in acknowledged data");
      }
      if (visit && !visit(wal::WalPosition{segment, offset}, frame.payload)) {
        range.stopped = true;
        return fail(at(offset) + "stopped");
      }
      ++range.records;
      range.bytes += frame.next_offset - offset;
      offset = frame.next_offset;
    }
  }
  range.ok = true;
  return range;
}

}  // namespace tally::snapshot
