// scan_wal: walks every segment in order, stops at the last segment's logical end (a zero tail), removes a torn
// tail there, refuses anything else.
// The torn-tail rule and its limits are spelled out in docs/wal_format.md ("Reading and recovery").
#include "wal/wal_reader.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "ledger/assert.hpp"
#include "wal/byte_order.hpp"
#include "wal/frame.hpp"

namespace tally::wal {
namespace {

bool all_zero(std::string_view data, std::size_t from) {
  return from >= data.size() ||
         std::all_of(data.begin() + static_cast<std::ptrdiff_t>(from), data.end(), [](char c) { return c == 0; });
}

std::uint32_t length_at(std::string_view data, std::size_t offset) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(data[offset + static_cast<std::size_t>(i)]);
  return v;
}

// A torn write cannot leave a well-formed, CRC-valid frame behind the tear; finding one means later
// data did reach the disk, so the damage is corruption, whatever it looks like.
bool valid_frame_after(std::string_view data, std::size_t from) {
  for (std::size_t off = (from + 7) / 8 * 8; off + frame_header_bytes <= data.size(); off += 8)
    if (read_frame(data, off).status == FrameStatus::ok) return true;
  return false;
}

bool looks_torn(std::string_view data, std::size_t offset, FrameStatus status) {
  bool shape = status == FrameStatus::truncated || all_zero(data, offset);
  if (!shape && status == FrameStatus::bad_crc) {
    const std::uint64_t claimed_end = offset + frame_header_bytes + std::uint64_t{length_at(data, offset)};
    shape = claimed_end >= data.size() || all_zero(data, static_cast<std::size_t>(claimed_end));
  }
  return shape && !valid_frame_after(data, offset + frame_header_bytes);
}

std::string damage_reason(std::string_view data, std::size_t offset, FrameStatus status) {
  const std::string length =
      data.size() - offset >= 4 ? std::to_string(length_at(data, offset)) : std::string("unreadable");
  switch (status) {
    case FrameStatus::truncated: return "record runs past the end of the file (length " + length + ")";
    case FrameStatus::bad_length: return "bad record length " + length;
    case FrameStatus::bad_crc: return "bad CRC (record length " + length + ")";
    default: return "unexpected frame status";
  }
}

std::string header_problem(std::string_view data) {
  std::string expected;
  append_segment_header(expected);
  if (data.compare(0, 8, std::string_view(expected).substr(0, 8)) != 0) return "bad segment magic (not a Tally WAL)";
  const std::uint32_t version = length_at(data, 8);
  if (version != format_version)
    return "unsupported format version " + std::to_string(version) + " (or a damaged header); this build reads " +
           std::to_string(format_version);
  return "segment header CRC mismatch";
}

// Where a torn frame at offset ends: the end of the file if it runs past it (an old, truncated-at-the-end log
// reports what it did before), else its claimed end or the last non-zero byte, whichever is later (the zeros after
// it are the writer's room, not torn).
std::size_t torn_end(std::string_view data, std::size_t offset, FrameStatus status) {
  if (status == FrameStatus::truncated) return data.size();
  std::size_t end = data.size();
  while (end > offset && data[end - 1] == 0) --end;
  if (status == FrameStatus::bad_crc)
    end = std::max<std::size_t>(end, std::min<std::uint64_t>(data.size(), offset + frame_header_bytes + length_at(data, offset)));
  return end;
}

// Cuts the file and makes the cut durable, so a second crash cannot resurrect the torn bytes.
disk::IoStatus cut_file(disk::FileSystem& fs, const std::string& path, std::uint64_t size) {
  if (disk::IoStatus status = fs.truncate(path, size); !status.ok()) return status;
  std::unique_ptr<disk::AppendFile> file;
  if (disk::IoStatus status = fs.open_append(path, file); !status.ok()) return status;
  return file->sync_data();
}

// Overwrites [offset, offset + bytes) with zeros and makes that durable: the torn frame is gone for good and
// the zero tail after it stays as the writer's room (docs/wal_format.md, "Reading and recovery").
disk::IoStatus zero_range(disk::FileSystem& fs, const std::string& path, std::uint64_t offset, std::size_t bytes) {
  std::unique_ptr<disk::PositionalFile> file;
  if (disk::IoStatus status = fs.open_positional(path, file); !status.ok()) return status;
  if (disk::IoStatus status = file->write_at(offset, std::string(bytes, '\0')); !status.ok()) return status;
  return file->sync_data();
}

// One scan in progress: what it reads, what it has found so far, and the last record visited (log order: every
// visit is after the one before). The steps below return false when the scan ends early; `scan.status` says why.
struct ScanRun {
  disk::FileSystem& fs;
  const std::string& dir;
  const ScanOptions& options;
  const PositionedVisitor& visit;
  WalScan scan;
  WalPosition last_visited;

  bool fail(disk::IoStatus status) {
    TALLY_ASSERT(!status.ok(), "a scan fails with a reason");
    scan.status = std::move(status);
    return false;
  }
  bool fail_with(const std::string& message) { return fail(disk::IoStatus::failed(message)); }
};

// The segment files' numbers from the start segment on, in order. False: the scan ends here, the directory could
// not be listed or does not exist yet (an empty log, whatever the start position).
bool list_segments(ScanRun& run, std::vector<std::uint64_t>& numbers) {
  std::vector<std::string> names;
  if (disk::IoStatus listed = run.fs.list(run.dir, names); !listed.ok()) {
    if (!listed.not_found()) return run.fail(std::move(listed));
    return false;  // no directory yet: an empty log
  }
  for (const std::string& name : names) {
    std::uint64_t number = 0;
    if (parse_segment_file_name(name, number) && number >= run.options.start.segment) numbers.push_back(number);
  }
  std::sort(numbers.begin(), numbers.end());
  return true;
}

// A scan from a position (after a snapshot) needs that position's segment first. False: the scan ends here, failed
// or, when nothing after the snapshot reached the disk, as an empty log ending at the start segment.
bool start_segment_present(ScanRun& run, const std::vector<std::uint64_t>& numbers) {
  const WalPosition start = run.options.start;
  if (start.segment == 0) return true;
  const std::string expected = segment_path(run.dir, start.segment);
  if (numbers.empty()) {
    if (start.offset > segment_header_bytes)
      return run.fail_with(expected + ": segment missing, but records up to byte " + std::to_string(start.offset) +
                           " of it are expected (covered by a snapshot)");
    run.scan.end = WalPosition{start.segment, 0};
    return false;
  }
  if (numbers.front() != start.segment)
    return run.fail_with(expected + ": segment missing (the log must continue from it; first found " +
                         segment_file_name(numbers.front()) + ")");
  return true;
}

bool segments_contiguous(ScanRun& run, const std::vector<std::uint64_t>& numbers) {
  for (std::size_t i = 1; i < numbers.size(); ++i)
    if (numbers[i] != numbers[i - 1] + 1)
      return run.fail_with(segment_path(run.dir, numbers[i - 1] + 1) + ": segment missing (found " +
                           segment_file_name(numbers[i - 1]) + " and " + segment_file_name(numbers[i]) + ")");
  return true;
}

// The segment being read: its number, file, bytes, whether it is the log's last, and where reading starts.
struct SegmentRead {
  std::uint64_t number;
  const std::string& path;
  std::string_view view;
  bool last;
  std::uint64_t from;  // bytes before it are covered elsewhere (a snapshot): neither read nor ever cut
};


// Records a torn tail at `offset` and, unless reading only, removes it: a torn header by truncating the segment to
// nothing (the writer rewrites it), a torn frame by zeroing its bytes up to the last non-zero one. False: failed.
bool cut_tail(ScanRun& run, const SegmentRead& segment, std::size_t offset, std::size_t torn_end) {
  TALLY_ASSERT(segment.last && offset <= torn_end && torn_end <= segment.view.size(),
               "only the last segment's tail is cut, within the segment");
  const bool header = offset == 0;
  const std::size_t torn = (header ? segment.view.size() : torn_end) - offset;
  WalScan& scan = run.scan;
  scan.torn_tail = true;
  scan.torn_at = WalPosition{segment.number, offset};
  scan.torn_bytes = torn;
  scan.end = WalPosition{segment.number, offset};
  if (run.options.read_only) return true;
  disk::IoStatus cut =
      header ? cut_file(run.fs, segment.path, 0) : zero_range(run.fs, segment.path, offset, torn);
  if (!cut.ok()) return run.fail(cut.append(" (removing the torn tail at byte " + std::to_string(offset) + ")"));
  scan.torn_bytes_cut += torn;
  return true;
}

enum class SegmentEnd { read_through, torn_tail_cut, failed };

SegmentEnd damaged(ScanRun& run, const SegmentRead& segment, std::size_t offset, const std::string& what) {
  run.fail(disk::IoStatus::damaged(segment.path, offset, what));
  return SegmentEnd::failed;
}

// The writer syncs a header before any record, so a short or zeroed header is a crash during creation.
SegmentEnd read_torn_header(ScanRun& run, const SegmentRead& segment) {
  if (!segment.last) return damaged(run, segment, 0, "segment header missing or torn in a segment that is not the last");
  if (segment.from > segment_header_bytes)
    return damaged(run, segment, 0, "segment header torn, but records after it are covered");
  if (segment.view.size() >= segment_header_bytes && valid_frame_after(segment.view, segment_header_bytes))
    return damaged(run, segment, 0, "zeroed segment header followed by valid records");
  return cut_tail(run, segment, 0, segment.view.size()) ? SegmentEnd::torn_tail_cut : SegmentEnd::failed;
}

// The frames after the header, each handed to the visitor, up to the segment's end or a torn tail.
SegmentEnd read_records(ScanRun& run, const SegmentRead& segment) {
  const std::string_view view = segment.view;
  std::size_t offset = std::max<std::size_t>(segment_header_bytes, static_cast<std::size_t>(segment.from));
  for (;;) {
    const FrameRead frame = read_frame(view, offset);
    if (frame.status == FrameStatus::end) break;
    if (frame.status == FrameStatus::ok) {
      TALLY_ASSERT(frame.next_offset == offset + frame_header_bytes + frame.payload.size() &&
                       frame.next_offset <= view.size(),
                   "a frame read ends after its payload, within the segment");
      const WalPosition here{segment.number, offset};
      TALLY_ASSERT(position_before(run.last_visited, here), "records are visited in log order");
      run.last_visited = here;
      if (run.visit && !run.visit(here, frame.payload))
        return damaged(run, segment, offset, "record rejected by recovery");
      ++run.scan.records;
      run.scan.bytes += frame.next_offset - offset;
      offset = frame.next_offset;
      continue;
    }
    if (segment.last && all_zero(view, offset)) break;  // the logical end: the writer's zeroed room follows
    if (segment.last && looks_torn(view, offset, frame.status)) {
      const std::size_t end = torn_end(view, offset, frame.status);
      return cut_tail(run, segment, offset, end) ? SegmentEnd::torn_tail_cut : SegmentEnd::failed;
    }
    std::string reason = damage_reason(view, offset, frame.status);
    if (!segment.last) reason += " in a segment that is not the last";
    return damaged(run, segment, offset, reason);
  }
  run.scan.end = WalPosition{segment.number, offset};
  return SegmentEnd::read_through;
}

SegmentEnd read_segment(ScanRun& run, const SegmentRead& segment) {
  ++run.scan.segments;
  if (segment.from > segment.view.size())
    return damaged(run, segment, segment.view.size(),
                   "segment ends before the start position " + std::to_string(segment.from));
  if (segment.view.size() < segment_header_bytes || all_zero(segment.view.substr(0, segment_header_bytes), 0))
    return read_torn_header(run, segment);
  if (!valid_segment_header(segment.view)) return damaged(run, segment, 0, header_problem(segment.view));
  run.scan.bytes += segment_header_bytes;
  return read_records(run, segment);
}

}  // namespace

WalScan scan_wal(disk::FileSystem& fs, const std::string& dir, const std::function<bool(std::string_view payload)>& visit) {
  return scan_wal(fs, dir, WalPosition{}, visit);
}

WalScan scan_wal(disk::FileSystem& fs, const std::string& dir, WalPosition start,
                 const std::function<bool(std::string_view payload)>& visit) {
  ScanOptions options;
  options.start = start;
  if (!visit) return scan_wal(fs, dir, options, PositionedVisitor());
  return scan_wal(fs, dir, options, [&visit](WalPosition, std::string_view payload) { return visit(payload); });
}

WalScan scan_wal(disk::FileSystem& fs, const std::string& dir, const ScanOptions& options, const PositionedVisitor& visit) {
  ScanRun run{fs, dir, options, visit, WalScan{}, WalPosition{}};
  std::vector<std::uint64_t> numbers;
  if (!list_segments(run, numbers) || !start_segment_present(run, numbers) || !segments_contiguous(run, numbers))
    return std::move(run.scan);
  if (!numbers.empty()) run.scan.first_segment = numbers.front();

  std::string data;
  for (std::size_t i = 0; i < numbers.size(); ++i) {
    const std::string path = segment_path(dir, numbers[i]);
    if (disk::IoStatus read = fs.read_all(path, data); !read.ok()) {
      run.fail(std::move(read));
      return std::move(run.scan);
    }
    const std::uint64_t from = i == 0 && numbers[0] == options.start.segment ? options.start.offset : 0;
    const SegmentEnd end = read_segment(run, SegmentRead{numbers[i], path, data, i + 1 == numbers.size(), from});
    if (end == SegmentEnd::failed) return std::move(run.scan);
    if (end == SegmentEnd::torn_tail_cut) break;
  }
  TALLY_ASSERT(run.scan.status.ok(), "a scan that read to the end succeeded");
  TALLY_ASSERT(run.scan.segments == 0 || run.scan.end.segment >= options.start.segment,
               "the log ends in or after the first segment read");
  return std::move(run.scan);
}

}  // namespace tally::wal
