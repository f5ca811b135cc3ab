// scan_wal: walks every segment in order, cuts a torn tail of the last segment, refuses anything else.
// The torn-tail rule and its limits are spelled out in docs/wal_format.md ("Reading and recovery").
#include "wal/wal_reader.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

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

// Cuts the file and makes the cut durable, so a second crash cannot resurrect the torn bytes.
disk::IoStatus cut_file(disk::FileSystem& fs, const std::string& path, std::uint64_t size) {
  if (disk::IoStatus status = fs.truncate(path, size); !status.ok()) return status;
  std::unique_ptr<disk::AppendFile> file;
  if (disk::IoStatus status = fs.open_append(path, file); !status.ok()) return status;
  return file->sync_data();
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
  const WalPosition start = options.start;
  WalScan scan;
  auto fail = [&](disk::IoStatus status) {
    TALLY_ASSERT(!status.ok(), "a scan fails with a reason");
    scan.status = std::move(status);
    return scan;
  };
  auto fail_with = [&](const std::string& message) { return fail(disk::IoStatus::failed(message)); };
  std::vector<std::string> names;
  if (disk::IoStatus listed = fs.list(dir, names); !listed.ok()) {
    if (!listed.not_found()) return fail(std::move(listed));
    return scan;  // no directory yet: an empty log
  }
  std::vector<std::uint64_t> numbers;
  for (const std::string& name : names) {
    std::uint64_t number = 0;
    if (parse_segment_file_name(name, number) && number >= start.segment) numbers.push_back(number);
  }
  std::sort(numbers.begin(), numbers.end());
  if (start.segment != 0) {
    const std::string expected = segment_path(dir, start.segment);
    if (numbers.empty()) {
      if (start.offset > segment_header_bytes)
        return fail_with(expected + ": segment missing, but records up to byte " + std::to_string(start.offset) +
                         " of it are expected (covered by a snapshot)");
      scan.end = WalPosition{start.segment, 0};
      return scan;
    }
    if (numbers.front() != start.segment)
      return fail_with(expected + ": segment missing (the log must continue from it; first found " +
                       segment_file_name(numbers.front()) + ")");
  }
  if (!numbers.empty()) scan.first_segment = numbers.front();
  for (std::size_t i = 1; i < numbers.size(); ++i)
    if (numbers[i] != numbers[i - 1] + 1)
      return fail_with(segment_path(dir, numbers[i - 1] + 1) + ": segment missing (found " +
                       segment_file_name(numbers[i - 1]) + " and " + segment_file_name(numbers[i]) + ")");

  std::string data;
  WalPosition last_visited;  // log order: every visit is after the one before
  for (std::size_t i = 0; i < numbers.size(); ++i) {
    const bool last = i + 1 == numbers.size();
    const std::string path = segment_path(dir, numbers[i]);
    if (disk::IoStatus read = fs.read_all(path, data); !read.ok()) return fail(std::move(read));
    ++scan.segments;
    const std::string_view view(data);
    auto damaged = [&](std::size_t offset, const std::string& what) {
      return fail(disk::IoStatus::damaged(path, offset, what));
    };
    // Bytes before `from` are covered elsewhere (a snapshot): neither read nor ever cut.
    const std::uint64_t from = i == 0 && numbers[0] == start.segment ? start.offset : 0;
    if (from > view.size())
      return damaged(view.size(), "segment ends before the start position " + std::to_string(from));
    auto cut_tail = [&](std::size_t offset) -> bool {
      TALLY_ASSERT(last && offset <= view.size(), "only the last segment's tail is cut, within the segment");
      scan.torn_tail = true;
      scan.torn_at = WalPosition{numbers[i], offset};
      scan.torn_bytes = view.size() - offset;
      scan.end = WalPosition{numbers[i], offset};
      if (options.read_only) return true;
      if (disk::IoStatus cut = cut_file(fs, path, offset); !cut.ok()) {
        fail(cut.append(" (cutting the torn tail at byte " + std::to_string(offset) + ")"));
        return false;
      }
      scan.torn_bytes_cut += view.size() - offset;
      scan.end = WalPosition{numbers[i], offset};
      return true;
    };

    // The writer syncs a header before any record, so a short or zeroed header is a crash during creation.
    if (view.size() < segment_header_bytes || all_zero(view.substr(0, segment_header_bytes), 0)) {
      if (!last) return damaged(0, "segment header missing or torn in a segment that is not the last");
      if (from > segment_header_bytes) return damaged(0, "segment header torn, but records after it are covered");
      if (view.size() >= segment_header_bytes && valid_frame_after(view, segment_header_bytes))
        return damaged(0, "zeroed segment header followed by valid records");
      if (!cut_tail(0)) return scan;
      break;
    }
    if (!valid_segment_header(view)) return damaged(0, header_problem(view));
    scan.bytes += segment_header_bytes;

    std::size_t offset = std::max<std::size_t>(segment_header_bytes, static_cast<std::size_t>(from));
    for (;;) {
      const FrameRead frame = read_frame(view, offset);
      if (frame.status == FrameStatus::end) break;
      if (frame.status == FrameStatus::ok) {
        TALLY_ASSERT(frame.next_offset == offset + frame_header_bytes + frame.payload.size() &&
                         frame.next_offset <= view.size(),
                     "a frame read ends after its payload, within the segment");
        const WalPosition here{numbers[i], offset};
        TALLY_ASSERT(position_before(last_visited, here), "records are visited in log order");
        last_visited = here;
        if (visit && !visit(here, frame.payload)) return damaged(offset, "record rejected by recovery");
        ++scan.records;
        scan.bytes += frame.next_offset - offset;
        offset = frame.next_offset;
        continue;
      }
      if (last && looks_torn(view, offset, frame.status)) {
        if (!cut_tail(offset)) return scan;
        break;
      }
      std::string reason = damage_reason(view, offset, frame.status);
      if (!last) reason += " in a segment that is not the last";
      return damaged(offset, reason);
    }
    scan.end = WalPosition{numbers[i], offset};
  }
  TALLY_ASSERT(scan.status.ok(), "a scan that read to the end succeeded");
  TALLY_ASSERT(scan.segments == 0 || scan.end.segment >= start.segment, "the log ends in or after the first segment read");
  return scan;
}

}  // namespace tally::wal
