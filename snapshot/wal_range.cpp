// read_wal_range: one segment in memory at a time (segments are bounded, limits::wal_segment_bytes_max), frames
// checked with the WAL's own read_frame, every problem named by file and byte offset.
#include "snapshot/wal_range.hpp"

#include <algorithm>
#include <cerrno>

#include "ledger/assert.hpp"
#include "wal/frame.hpp"

namespace tally::snapshot {
namespace {

const char* describe(wal::FrameStatus status) {
  switch (status) {
    case wal::FrameStatus::truncated: return "truncated record";
    case wal::FrameStatus::bad_length: return "bad record length";
    case wal::FrameStatus::bad_crc: return "bad CRC";
    default: return "unexpected frame status";
  }
}

}  // namespace

WalRange read_wal_range(disk::FileSystem& fs, const std::string& wal_dir, wal::WalPosition from,
                        wal::WalPosition through, const WalRangeVisitor& visit, const std::atomic<bool>* cancel) {
  WalRange range;
  auto fail = [&](disk::IoStatus status) {
    TALLY_ASSERT(!status.ok(), "a range read fails with a reason");
    range.status = std::move(status);
    return range;
  };
  std::string data;
  wal::WalPosition last_visited;
  for (std::uint64_t segment = std::max<std::uint64_t>(from.segment, 1); segment <= through.segment; ++segment) {
    if (cancel != nullptr && cancel->load()) {
      range.stopped = true;
      return fail(disk::IoStatus::failed("cancelled", ECANCELED));
    }
    if (segment == through.segment && through.offset <= wal::segment_header_bytes) break;  // nothing of it
    const std::string path = wal::segment_path(wal_dir, segment);
    if (disk::IoStatus read = fs.read_all(path, data); !read.ok())
      return fail(read.not_found() ? disk::IoStatus::failed(path + ": segment missing", ENOENT) : std::move(read));
    auto damaged = [&](std::uint64_t offset, const std::string& what) {
      return fail(disk::IoStatus::damaged(path, offset, what));
    };
    const std::uint64_t end = segment == through.segment ? through.offset : data.size();
    if (end > data.size()) return damaged(data.size(), "segment ends before byte " + std::to_string(end));
    if (!wal::valid_segment_header(data)) return damaged(0, "bad or torn segment header in a closed segment");
    const std::uint64_t begin = segment == from.segment
                                    ? std::max<std::uint64_t>(from.offset, wal::segment_header_bytes)
                                    : wal::segment_header_bytes;
    if (begin > end) return damaged(end, "range ends before it begins (byte " + std::to_string(begin) + ")");
    const std::string_view view = std::string_view(data).substr(0, static_cast<std::size_t>(end));
    std::size_t offset = static_cast<std::size_t>(begin);
    for (;;) {
      const wal::FrameRead frame = wal::read_frame(view, offset);
      if (frame.status == wal::FrameStatus::end) break;
      if (frame.status != wal::FrameStatus::ok) {
        if (end < data.size() && frame.status == wal::FrameStatus::truncated)
          return damaged(offset, "byte " + std::to_string(end) + " is not a record boundary");
        return damaged(offset, std::string("damaged record (") + describe(frame.status) + ") in acknowledged data");
      }
      const wal::WalPosition here{segment, offset};
      TALLY_ASSERT(wal::position_before(last_visited, here) && frame.next_offset <= end,
                   "records are visited in log order, inside the range");
      last_visited = here;
      if (visit && !visit(here, frame.payload)) {
        range.stopped = true;
        return damaged(offset, "stopped");
      }
      ++range.records;
      range.bytes += frame.next_offset - offset;
      offset = frame.next_offset;
    }
  }
  return range;
}

}  // namespace tally::snapshot
