// libFuzzer target: the WAL read path on arbitrary bytes, as recovery runs it (scan_wal + decode). It must
// refuse cleanly, never crash, and every record it accepts must be valid, re-encode to the same information
// and round-trip. Cutting a torn tail must be exactly what the read-only scan reported, and a second scan of
// the cut log must find the same records and nothing left to cut (recovery is idempotent).
//
// Input: byte 0 is a mode, the rest the log. Mode bit 0: fix every frame's CRC (so mutations reach the
// decoder instead of stopping at the checksum); bit 1: prepend a valid segment header; bit 2: split the log
// into two segments at byte 8 * N, N being bytes 1..2 (little-endian), the log then starting at byte 3. The
// log's bytes are also decoded as one bare payload.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "capnp_equivalence.hpp"
#include "fuzz_check.hpp"
#include "disk/data_dir.hpp"
#include "memory_file_system.hpp"
#include "wal/byte_order.hpp"
#include "wal/frame.hpp"
#include "wal/wal_reader.hpp"

namespace {

using namespace tally;

const std::string wal_dir = disk::DataDir("/data").wal();

void fix_crcs(std::string& segment) {
  if (segment.size() < wal::segment_header_bytes) return;
  // The header CRC, for whatever magic and version the input has.
  const std::uint32_t crc = wal::mask_crc(wal::crc32c(std::string_view(segment).substr(0, 12)));
  for (int i = 0; i < 4; ++i) segment[12 + i] = static_cast<char>((crc >> (8 * i)) & 0xffu);
  for (std::size_t at = wal::segment_header_bytes; segment.size() - at >= wal::frame_header_bytes;) {
    const std::uint32_t length = wal::load_le32(segment.data() + at);
    if (length == 0 || length % 8 != 0 || length > segment.size() - at - wal::frame_header_bytes) return;
    const std::string_view frame(segment.data() + at, wal::frame_header_bytes + length);
    const std::uint32_t frame_crc =
        wal::mask_crc(wal::crc32c(frame.substr(wal::frame_header_bytes), wal::crc32c(frame.substr(0, 4))));
    for (int i = 0; i < 4; ++i) segment[at + 4 + i] = static_cast<char>((frame_crc >> (8 * i)) & 0xffu);
    at += wal::frame_header_bytes + length;
  }
}

// A decoded payload: valid, round-trips, and carried nothing the re-encoding drops.
void check_payload(std::string_view payload, const wal::Record& record) {
  const std::string bytes = fuzz::check_round_trip(record);
  FUZZ_CHECK(fuzz::same_information(payload, bytes), "decode accepted content its re-encoding does not carry");
}

struct Scan {
  wal::WalScan result;
  std::vector<wal::Record> records;
};

Scan scan(fuzz::MemoryFileSystem& fs, bool read_only) {
  Scan out;
  wal::ScanOptions options;
  options.start = wal::WalPosition{1, 0};
  options.read_only = read_only;
  out.result = wal::scan_wal(fs, wal_dir, options, [&out](wal::WalPosition, std::string_view payload) {
    std::optional<wal::Record> record = wal::decode(payload);
    if (!record) return false;  // as recovery: a frame that does not decode stops the start
    check_payload(payload, *record);
    out.records.push_back(std::move(*record));
    return true;
  });
  FUZZ_CHECK(out.result.status.ok() || !out.result.status.message().empty(), "a failed scan without an error message");
  return out;
}

bool same_records(const std::vector<wal::Record>& a, const std::vector<wal::Record>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!fuzz::same(a[i], b[i])) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  const bool split = (mode & 4) != 0;
  const std::size_t skip = split ? 3 : 1;
  if (size < skip) return 0;
  const std::string_view rest = fuzz::as_text(data + skip, size - skip);
  if (std::optional<wal::Record> bare = wal::decode(rest)) check_payload(rest, *bare);

  std::string log;
  if (mode & 2) wal::append_segment_header(log);
  log.append(rest);
  std::vector<std::string> segments{log};
  if (split) {
    const std::size_t at = std::min<std::size_t>(log.size(), 8u * (data[1] | (data[2] << 8)));
    segments = {log.substr(0, at), log.substr(at)};
  }
  fuzz::MemoryFileSystem fs;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (mode & 1) fix_crcs(segments[i]);
    fs.files[wal_dir + "/" + wal::segment_file_name(i + 1)] = segments[i];
  }

  const Scan looked = scan(fs, true);
  FUZZ_CHECK(fs.files.size() == segments.size(), "a read-only scan changed the files");
  const Scan cut = scan(fs, false);
  FUZZ_CHECK(looked.result.status.ok() == cut.result.status.ok(), "read-only and cutting scans disagree on the verdict");
  if (!cut.result.status.ok()) return 0;
  FUZZ_CHECK(same_records(looked.records, cut.records), "read-only and cutting scans read different records");
  FUZZ_CHECK(wal::same_position(looked.result.end, cut.result.end), "read-only and cutting scans end elsewhere");
  FUZZ_CHECK(looked.result.torn_bytes == cut.result.torn_bytes_cut, "cut other bytes than reported torn");
  FUZZ_CHECK(cut.result.records == cut.records.size(), "record count differs from the records visited");

  const Scan again = scan(fs, false);
  FUZZ_CHECK(again.result.status.ok(), "the log does not read after its torn tail was cut: " + again.result.status.message());
  // (A header cut to nothing is reported again as a 0-byte torn tail: nothing more is cut.)
  FUZZ_CHECK(again.result.torn_bytes_cut == 0 && again.result.torn_bytes == 0, "a second scan cut more");
  FUZZ_CHECK(same_records(cut.records, again.records), "the second scan reads other records");
  FUZZ_CHECK(wal::same_position(cut.result.end, again.result.end), "the second scan ends elsewhere");
  return 0;
}
