// scan_wal: walks every segment in order, cuts a torn tail of the last segment, refuses anything else.
// The torn-tail rule and its limits are spelled out in docs/wal_format.md ("Reading and recovery").
#include "wal/wal_reader.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

#include "wal/byte_order.hpp"
#include "wal/frame.hpp"

namespace tally::wal {
namespace {


std::string describe_errno(int err) { return std::error_code(err, std::generic_category()).message(); }

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
int cut_file(FileSystem& fs, const std::string& path, std::uint64_t size) {
  if (int err = fs.truncate(path, size)) return err;
  std::unique_ptr<AppendFile> file;
  if (int err = fs.open_append(path, file)) return err;
  return file->sync_data();
}

}  // namespace

std::string segment_file_name(std::uint64_t segment) {
  char name[64];
  std::snprintf(name, sizeof name, "wal-%020llu.log", static_cast<unsigned long long>(segment));
  return name;
}

WalScan scan_wal(FileSystem& fs, const std::string& dir, const std::function<bool(std::string_view payload)>& visit) {
  return scan_wal(fs, dir, WalPosition{}, visit);
}

WalScan scan_wal(FileSystem& fs, const std::string& dir, WalPosition start,
                 const std::function<bool(std::string_view payload)>& visit) {
  ScanOptions options;
  options.start = start;
  if (!visit) return scan_wal(fs, dir, options, PositionedVisitor());
  return scan_wal(fs, dir, options, [&visit](WalPosition, std::string_view payload) { return visit(payload); });
}

WalScan scan_wal(FileSystem& fs, const std::string& dir, const ScanOptions& options, const PositionedVisitor& visit) {
  const WalPosition start = options.start;
  WalScan scan;
  auto fail = [&](const std::string& error) {
    scan.ok = false;
    scan.error = error;
    return scan;
  };
  std::vector<std::string> names;
  if (int err = fs.list(dir, names)) {
    if (err != ENOENT) return fail(dir + ": cannot list: " + describe_errno(err));
    scan.ok = true;  // no directory yet: an empty log
    return scan;
  }
  std::vector<std::uint64_t> numbers;
  for (const std::string& name : names) {
    std::uint64_t number = 0;
    if (parse_segment_file_name(name, number) && number >= start.segment) numbers.push_back(number);
  }
  std::sort(numbers.begin(), numbers.end());
  if (start.segment != 0) {
    const std::string expected = dir + "/" + segment_file_name(start.segment);
    if (numbers.empty()) {
      if (start.offset > segment_header_bytes)
        return fail(expected + ": segment missing, but records up to byte " + std::to_string(start.offset) +
                    " of it are expected (covered by a snapshot)");
      scan.ok = true;
      scan.end = WalPosition{start.segment, 0};
      return scan;
    }
    if (numbers.front() != start.segment)
      return fail(expected + ": segment missing (the log must continue from it; first found " +
                  segment_file_name(numbers.front()) + ")");
  }
  if (!numbers.empty()) scan.first_segment = numbers.front();
  for (std::size_t i = 1; i < numbers.size(); ++i)
    if (numbers[i] != numbers[i - 1] + 1)
      return fail(dir + "/" + segment_file_name(numbers[i - 1] + 1) + ": segment missing (found " +
                  segment_file_name(numbers[i - 1]) + " and " + segment_file_name(numbers[i]) + ")");

  std::string data;
  for (std::size_t i = 0; i < numbers.size(); ++i) {
    const bool last = i + 1 == numbers.size();
    const std::string path = dir + "/" + segment_file_name(numbers[i]);
    if (int err = fs.read_all(path, data)) return fail(path + ": cannot read: " + describe_errno(err));
    ++scan.segments;
    const std::string_view view(data);
    auto at = [&](std::size_t offset) { return path + " at byte " + std::to_string(offset) + ": "; };
    // Bytes before `from` are covered elsewhere (a snapshot): neither read nor ever cut.
    const std::uint64_t from = i == 0 && numbers[0] == start.segment ? start.offset : 0;
    if (from > view.size())
      return fail(at(view.size()) + "segment ends before the start position " + std::to_string(from));
    auto cut_tail = [&](std::size_t offset) -> bool {
      scan.torn_tail = true;
      scan.torn_at = WalPosition{numbers[i], offset};
      scan.torn_bytes = view.size() - offset;
      scan.end = WalPosition{numbers[i], offset};
      if (options.read_only) return true;
      if (int err = cut_file(fs, path, offset)) {
        fail(at(offset) + "cannot cut torn tail: " + describe_errno(err));
        return false;
      }
      scan.torn_bytes_cut += view.size() - offset;
      scan.end = WalPosition{numbers[i], offset};
      return true;
    };

    // The writer syncs a header before any record, so a short or zeroed header is a crash during creation.
    if (view.size() < segment_header_bytes || all_zero(view.substr(0, segment_header_bytes), 0)) {
      if (!last) return fail(at(0) + "segment header missing or torn in a segment that is not the last");
      if (from > segment_header_bytes) return fail(at(0) + "segment header torn, but records after it are covered");
      if (view.size() >= segment_header_bytes && valid_frame_after(view, segment_header_bytes))
        return fail(at(0) + "zeroed segment header followed by valid records");
      if (!cut_tail(0)) return scan;
      break;
    }
    if (!valid_segment_header(view)) return fail(at(0) + header_problem(view));
    scan.bytes += segment_header_bytes;

    std::size_t offset = std::max<std::size_t>(segment_header_bytes, static_cast<std::size_t>(from));
    for (;;) {
      const FrameRead frame = read_frame(view, offset);
      if (frame.status == FrameStatus::end) break;
      if (frame.status == FrameStatus::ok) {
        if (visit && !visit(WalPosition{numbers[i], offset}, frame.payload))
          return fail(at(offset) + "record rejected by recovery");
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
      return fail(at(offset) + reason);
    }
    scan.end = WalPosition{numbers[i], offset};
  }
  scan.ok = true;
  return scan;
}

bool parse_segment_file_name(std::string_view name, std::uint64_t& number) {
  constexpr std::string_view prefix = "wal-", suffix = ".log";
  constexpr std::size_t digits = 20;
  if (name.size() != prefix.size() + digits + suffix.size() || name.substr(0, prefix.size()) != prefix ||
      name.substr(prefix.size() + digits) != suffix)
    return false;
  return parse_fixed_digits(name.substr(prefix.size(), digits), digits, number);
}

}  // namespace tally::wal
