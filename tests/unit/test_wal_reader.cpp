// Tests of scan_wal: segments read in order; a torn tail of the last segment is cut (at every possible tear),
// while damage in the middle or in an earlier segment is refused with the file and byte offset. Plus real disk.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>

#include "tests/unit/faulty_file_system.hpp"
#include "wal/frame.hpp"
#include "wal/wal_reader.hpp"
#include "wal/wal_writer.hpp"

namespace tally::wal {
namespace {

using disk::FileSystem;
using disk::posix_file_system;
using testing::FaultyFileSystem;

const std::string dir = "wal";
std::string seg(std::uint64_t n) { return dir + "/" + segment_file_name(n); }

std::string payload(std::uint64_t key, std::size_t words = 2) {
  std::string p;
  for (int i = 0; i < 8; ++i) p.push_back(static_cast<char>((key >> (8 * i)) & 0xffu));
  p.append((words - 1) * 8, static_cast<char>('A' + key % 26));
  return p;
}
std::uint64_t key_of(std::string_view p) {
  std::uint64_t key = 0;
  for (int i = 7; i >= 0; --i) key = (key << 8) | static_cast<unsigned char>(p[static_cast<std::size_t>(i)]);
  return key;
}

// A segment holding the given keys; offsets receives where each frame starts.
std::string segment(const std::vector<std::uint64_t>& keys, std::vector<std::size_t>* offsets = nullptr) {
  std::string s;
  append_segment_header(s);
  for (std::uint64_t k : keys) {
    if (offsets) offsets->push_back(s.size());
    append_frame(s, payload(k, 1 + k % 4));
  }
  return s;
}

struct Scanned {
  WalScan scan;
  std::vector<std::uint64_t> keys;
};
Scanned scan(FileSystem& fs, std::uint64_t reject_key = 0) {
  Scanned r;
  r.scan = scan_wal(fs, dir, [&](std::string_view p) {
    if (key_of(p) == reject_key) return false;
    r.keys.push_back(key_of(p));
    return true;
  });
  return r;
}

std::string at_byte(std::uint64_t segment_number, std::size_t offset) {
  return seg(segment_number) + " at byte " + std::to_string(offset) + ":";
}

TEST(WalReader, MissingOrEmptyDirectoryIsAnEmptyLog) {
  FaultyFileSystem fs;
  Scanned r = scan(fs);
  EXPECT_TRUE(r.scan.status.ok()) << r.scan.status.message();
  EXPECT_EQ(r.scan.segments, 0u);
  EXPECT_EQ(r.scan.end.segment, 0u);
  fs.write_file(dir + "/notes.txt", "not a segment");
  fs.write_file(dir + "/wal-1.log", "short name: not a segment");
  fs.write_file(seg(1) + ".tmp", "suffix: not a segment");
  r = scan(fs);
  EXPECT_TRUE(r.scan.status.ok()) << r.scan.status.message();
  EXPECT_EQ(r.scan.segments, 0u);
}

// No directory at all is an empty log even when a snapshot says records of some segment are expected: the scan
// stops before the start position's checks (scan_wal's list_segments step).
TEST(WalReader, MissingDirectoryIsAnEmptyLogWhateverTheStartPosition) {
  FaultyFileSystem fs;
  ScanOptions options;
  options.start = WalPosition{3, 4096};
  const WalScan scan = scan_wal(fs, dir, options, PositionedVisitor());
  EXPECT_TRUE(scan.status.ok()) << scan.status.message();
  EXPECT_EQ(scan.segments, 0u);
  EXPECT_EQ(scan.end.segment, 0u);
  EXPECT_EQ(scan.end.offset, 0u);
}

TEST(WalReader, ReadsEverySegmentInNumericOrder) {
  FaultyFileSystem fs;
  fs.write_file(seg(3), segment({7, 8}));
  fs.write_file(seg(1), segment({1, 2, 3}));
  fs.write_file(seg(2), segment({4, 5, 6}));
  const Scanned r = scan(fs);
  ASSERT_TRUE(r.scan.status.ok()) << r.scan.status.message();
  EXPECT_EQ(r.keys, (std::vector<std::uint64_t>{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(r.scan.records, 8u);
  EXPECT_EQ(r.scan.segments, 3u);
  EXPECT_EQ(r.scan.bytes, segment({1, 2, 3}).size() + segment({4, 5, 6}).size() + segment({7, 8}).size());
  EXPECT_EQ(r.scan.end.segment, 3u);
  EXPECT_EQ(r.scan.end.offset, segment({7, 8}).size());
  EXPECT_EQ(r.scan.torn_bytes_cut, 0u);
}

TEST(WalReader, TornTailAtEveryByteOfTheLastRecordIsZeroed) {
  std::vector<std::size_t> offsets;
  const std::string full = segment({1, 2, 3, 4}, &offsets);
  const std::size_t last = offsets.back();
  for (std::size_t cut = last + 1; cut < full.size(); ++cut) {
    FaultyFileSystem fs;
    fs.write_file(seg(1), segment({10, 11}));
    fs.write_file(seg(2), full.substr(0, cut));
    const Scanned r = scan(fs);
    ASSERT_TRUE(r.scan.status.ok()) << "cut " << cut << ": " << r.scan.status.message();
    EXPECT_EQ(r.keys, (std::vector<std::uint64_t>{10, 11, 1, 2, 3})) << cut;
    EXPECT_EQ(r.scan.torn_bytes_cut, cut - last) << cut;
    EXPECT_EQ(r.scan.end.segment, 2u);
    EXPECT_EQ(r.scan.end.offset, last) << cut;
    EXPECT_EQ(fs.contents(seg(2)), full.substr(0, last) + std::string(cut - last, '\0')) << cut;
    EXPECT_EQ(fs.synced_size(seg(2)), cut) << "the zeros are synced";
    const Scanned again = scan(fs);  // zeroing is idempotent and leaves a clean log ending at `last`
    EXPECT_TRUE(again.scan.status.ok());
    EXPECT_EQ(again.scan.torn_bytes_cut, 0u);
  }
}

// Since session 10 (docs/wal_format.md, "Logical end") zeros after the last record are the writer's room:
// the log ends there, nothing is cut or reported, the file keeps its size.
TEST(WalReader, ZeroTailIsTheLogicalEndNotATornTail) {
  std::vector<std::size_t> offsets;
  const std::string full = segment({1, 2, 3}, &offsets);
  const std::pair<std::string, std::size_t> cases[] = {
      {full + std::string(4096, '\0'), full.size()},                            // after the records
      {full.substr(0, offsets[2]) + std::string(200, '\0'), offsets[2]}};  // where a record never landed
  for (const auto& [data, end] : cases) {
    for (const bool read_only : {true, false}) {
      FaultyFileSystem fs;
      fs.write_file(seg(1), data);
      ScanOptions options;
      options.read_only = read_only;
      const WalScan r = scan_wal(fs, dir, options, PositionedVisitor());
      ASSERT_TRUE(r.status.ok()) << r.status.message();
      EXPECT_FALSE(r.torn_tail);
      EXPECT_EQ(r.torn_bytes, 0u);
      EXPECT_EQ(r.torn_bytes_cut, 0u);
      EXPECT_EQ(r.end.offset, end);
      EXPECT_EQ(fs.contents(seg(1)), data) << "nothing is cut";
    }
  }
}

// A torn frame in the room: zeroed up to its claimed end (or its last non-zero byte), the room after it kept.
TEST(WalReader, TornFrameFollowedByZerosIsZeroedAndTheRoomKept) {
  std::vector<std::size_t> offsets;
  const std::string full = segment({1, 2, 3}, &offsets);
  const std::size_t frame = full.size() - offsets[2];
  for (std::size_t landed = 1; landed < frame; ++landed) {
    FaultyFileSystem fs;
    const std::string data = full.substr(0, offsets[2] + landed) + std::string(4096 - offsets[2] - landed, '\0');
    fs.write_file(seg(1), data);
    const Scanned r = scan(fs);
    ASSERT_TRUE(r.scan.status.ok()) << landed << ": " << r.scan.status.message();
    EXPECT_EQ(r.keys, (std::vector<std::uint64_t>{1, 2})) << landed;
    EXPECT_EQ(r.scan.end.offset, offsets[2]);
    const bool any = data.find_first_not_of('\0', offsets[2]) != std::string::npos;
    EXPECT_EQ(r.scan.torn_tail, any) << landed;  // a landed prefix of zero bytes is just the logical end
    EXPECT_LE(r.scan.torn_bytes_cut, frame) << landed;
    EXPECT_EQ(fs.contents(seg(1)), full.substr(0, offsets[2]) + std::string(4096 - offsets[2], '\0')) << landed;
    const Scanned again = scan(fs);
    EXPECT_TRUE(again.scan.status.ok());
    EXPECT_FALSE(again.scan.torn_tail);
  }
}

TEST(WalReader, ZerosThenAValidRecordInTheLastSegmentIsCorruption) {
  const std::string head = segment({1, 2});
  std::string later;
  append_frame(later, payload(3));
  const std::string data = head + std::string(64, '\0') + later;
  FaultyFileSystem fs;
  fs.write_file(seg(1), data);
  const Scanned r = scan(fs);
  ASSERT_FALSE(r.scan.status.ok());
  EXPECT_EQ(r.scan.status.message().rfind(at_byte(1, head.size()), 0), 0u) << r.scan.status.message();
  EXPECT_EQ(fs.contents(seg(1)), data);
}

TEST(WalReader, BadCrcInTheLastRecordIsATornTail) {
  std::vector<std::size_t> offsets;
  const std::string full = segment({1, 2, 3}, &offsets);
  for (const std::string& suffix : {std::string(), std::string(64, '\0')}) {
    FaultyFileSystem fs;
    fs.write_file(seg(1), full + suffix);
    ASSERT_TRUE(fs.flip_bit(seg(1), full.size() - 3, 5));  // in the last payload
    const Scanned r = scan(fs);
    ASSERT_TRUE(r.scan.status.ok()) << r.scan.status.message();
    EXPECT_EQ(r.keys, (std::vector<std::uint64_t>{1, 2}));
    EXPECT_EQ(r.scan.torn_bytes_cut, full.size() - offsets[2]);  // the frame; zeros after it are room
    EXPECT_EQ(fs.contents(seg(1)), full.substr(0, offsets[2]) + std::string(full.size() + suffix.size() - offsets[2], '\0'));
  }
}

TEST(WalReader, AnyFlippedBitInAMiddleRecordIsCorruptionNamingFileAndOffset) {
  std::vector<std::size_t> offsets;
  const std::string full = segment({1, 2, 3, 4}, &offsets);
  const std::size_t begin = offsets[1], end = offsets[2];
  for (std::size_t bit = begin * 8; bit < end * 8; ++bit) {
    FaultyFileSystem fs;
    fs.write_file(seg(1), full);
    ASSERT_TRUE(fs.flip_bit(seg(1), bit / 8, static_cast<int>(bit % 8)));
    const std::string damaged = fs.contents(seg(1));
    const Scanned r = scan(fs);
    ASSERT_FALSE(r.scan.status.ok()) << "bit " << bit;
    EXPECT_EQ(r.scan.status.message().rfind(at_byte(1, begin), 0), 0u) << "bit " << bit << ": " << r.scan.status.message();
    EXPECT_EQ(r.keys, (std::vector<std::uint64_t>{1}));
    EXPECT_EQ(fs.contents(seg(1)), damaged) << "corruption must never be cut";
  }
}

TEST(WalReader, LengthThatRunsPastTheEndButIsFollowedByValidRecordsIsCorruption) {
  std::vector<std::size_t> offsets;
  std::string data = segment({1, 2, 3}, &offsets);
  data[offsets[1]] = 0;  // length = 65536: allowed, but "runs past EOF", which alone would look torn
  data[offsets[1] + 1] = 0;
  data[offsets[1] + 2] = 1;
  ASSERT_EQ(read_frame(data, offsets[1]).status, FrameStatus::truncated);
  FaultyFileSystem fs;
  fs.write_file(seg(1), data);
  const Scanned r = scan(fs);
  ASSERT_FALSE(r.scan.status.ok());
  EXPECT_NE(r.scan.status.message().find(at_byte(1, offsets[1])), std::string::npos) << r.scan.status.message();
  EXPECT_EQ(fs.contents(seg(1)), data);
}

TEST(WalReader, BadLengthFollowedByNonZeroBytesIsCorruption) {
  std::string data = segment({1, 2});
  const std::size_t damaged_at = data.size();
  data += std::string("\x05\0\0\0garbage!", 12);  // length 5: not a multiple of 8, and not zeros
  FaultyFileSystem fs;
  fs.write_file(seg(1), data);
  const Scanned r = scan(fs);
  ASSERT_FALSE(r.scan.status.ok());
  EXPECT_NE(r.scan.status.message().find(at_byte(1, damaged_at) + " bad record length 5"), std::string::npos) << r.scan.status.message();
}

TEST(WalReader, TornLookingDamageInAnEarlierSegmentIsAnError) {
  std::vector<std::size_t> offsets;
  const std::string first = segment({1, 2, 3}, &offsets);
  for (const std::string& data : {first.substr(0, first.size() - 5), first + std::string(32, '\0')}) {
    FaultyFileSystem fs;
    fs.write_file(seg(1), data);
    fs.write_file(seg(2), segment({4}));
    const Scanned r = scan(fs);
    ASSERT_FALSE(r.scan.status.ok());
    const std::size_t where = data.size() < first.size() ? offsets[2] : first.size();
    EXPECT_EQ(r.scan.status.message().rfind(at_byte(1, where), 0), 0u) << r.scan.status.message();
    EXPECT_NE(r.scan.status.message().find("not the last"), std::string::npos) << r.scan.status.message();
    EXPECT_EQ(fs.contents(seg(1)), data);
  }
}

TEST(WalReader, VisitorRejectionStopsAtThatRecord) {
  std::vector<std::size_t> offsets;
  FaultyFileSystem fs;
  fs.write_file(seg(1), segment({1, 2, 3, 4}, &offsets));
  const Scanned r = scan(fs, /*reject_key=*/3);
  ASSERT_FALSE(r.scan.status.ok());
  EXPECT_EQ(r.scan.status.message(), at_byte(1, offsets[2]) + " record rejected by recovery");
  EXPECT_EQ(r.keys, (std::vector<std::uint64_t>{1, 2}));
}

TEST(WalReader, TornHeaderOfTheLastSegmentIsCutToEmptyAndTheWriterRewritesIt) {
  std::string header;
  append_segment_header(header);
  for (const std::string& torn : {std::string(), header.substr(0, 7), std::string(100, '\0')}) {
    FaultyFileSystem fs;
    fs.write_file(seg(1), segment({1, 2}));
    fs.write_file(seg(2), torn);
    const Scanned r = scan(fs);
    ASSERT_TRUE(r.scan.status.ok()) << r.scan.status.message();
    EXPECT_EQ(r.keys, (std::vector<std::uint64_t>{1, 2}));
    EXPECT_EQ(r.scan.torn_bytes_cut, torn.size());
    EXPECT_EQ(r.scan.end.segment, 2u);
    EXPECT_EQ(r.scan.end.offset, 0u);
    EXPECT_EQ(fs.contents(seg(2)), "");

    WalWriterOptions o;
    o.dir = dir;
    o.fs = &fs;
    o.append_at = r.scan.end;
    {
      WalWriter w(o);
      w.submit(payload(3), 0, nullptr);
    }  // the destructor drains
    const Scanned after = scan(fs);
    ASSERT_TRUE(after.scan.status.ok()) << after.scan.status.message();
    EXPECT_EQ(after.keys, (std::vector<std::uint64_t>{1, 2, 3}));
  }
}

TEST(WalReader, BadHeadersAreErrors) {
  std::string header;
  append_segment_header(header);
  std::string wrong_magic = segment({1});
  wrong_magic[0] = 'X';
  std::string wrong_version = segment({1});
  wrong_version[8] = 2;
  std::string wrong_crc = segment({1});
  wrong_crc[13] ^= 1;
  const std::pair<std::string, std::string> cases[] = {
      {wrong_magic, "bad segment magic"}, {wrong_version, "unsupported format version 2"}, {wrong_crc, "CRC"}};
  for (const auto& [data, expected] : cases) {
    FaultyFileSystem fs;
    fs.write_file(seg(1), data);
    const Scanned r = scan(fs);
    ASSERT_FALSE(r.scan.status.ok());
    EXPECT_EQ(r.scan.status.message().rfind(at_byte(1, 0), 0), 0u) << r.scan.status.message();
    EXPECT_NE(r.scan.status.message().find(expected), std::string::npos) << r.scan.status.message();
  }
  FaultyFileSystem fs;  // a short header is only torn in the last segment
  fs.write_file(seg(1), header.substr(0, 10));
  fs.write_file(seg(2), segment({1}));
  EXPECT_FALSE(scan(fs).scan.status.ok());
}

TEST(WalReader, MissingSegmentNumberIsAnError) {
  FaultyFileSystem fs;
  fs.write_file(seg(1), segment({1}));
  fs.write_file(seg(3), segment({3}));
  const Scanned r = scan(fs);
  ASSERT_FALSE(r.scan.status.ok());
  EXPECT_NE(r.scan.status.message().find(segment_file_name(2)), std::string::npos) << r.scan.status.message();
}

TEST(WalReader, LogMayStartAtAnySegmentNumber) {
  FaultyFileSystem fs;
  fs.write_file(seg(41), segment({1}));
  fs.write_file(seg(42), segment({2}));
  const Scanned r = scan(fs);
  ASSERT_TRUE(r.scan.status.ok()) << r.scan.status.message();
  EXPECT_EQ(r.keys, (std::vector<std::uint64_t>{1, 2}));
  EXPECT_EQ(r.scan.end.segment, 42u);
}

TEST(WalReader, SegmentFileNamesAreZeroPaddedToTwentyDigits) {
  EXPECT_EQ(segment_file_name(1), "wal-00000000000000000001.log");
  EXPECT_EQ(segment_file_name(UINT64_MAX), "wal-18446744073709551615.log");
}

TEST(WalReader, WorksWithTheWriterOnTheRealFileSystem) {
  char pattern[] = "/tmp/tally-wal-test-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  const std::string root = pattern, where = root + "/wal";
  {
    WalWriterOptions o;
    o.dir = where;  // fs left null: the POSIX file system
    o.segment_bytes_max = 1024;
    WalWriter w(o);
    for (std::uint64_t k = 1; k <= 100; ++k) {  // one at a time, so batches stay small and segments rotate
      std::promise<WalStatus> done;
      w.submit(payload(k), 0, [&](WalStatus s) { done.set_value(s); });
      ASSERT_EQ(done.get_future().get(), WalStatus::durable);
    }
  }
  auto read_back = [&](WalScan& out) {
    std::uint64_t expected = 0;
    out = scan_wal(posix_file_system(), where, [&](std::string_view p) { return key_of(p) == ++expected; });
    EXPECT_TRUE(out.status.ok()) << out.status.message();
    return out.records;
  };
  WalScan r;
  EXPECT_EQ(read_back(r), 100u);
  EXPECT_GT(r.segments, 1u);
  const std::string last = where + "/" + segment_file_name(r.end.segment);
  const std::uint64_t end = r.end.offset;
  {  // a torn frame at the logical end, over the room if the writer made some, else growing the file
    std::fstream file(last, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(end));
    file << std::string("\x40\0\0\0torn", 8);
  }
  const std::uint64_t size = std::filesystem::file_size(last);
  EXPECT_EQ(read_back(r), 100u);
  EXPECT_TRUE(r.torn_tail);
  EXPECT_GE(r.torn_bytes_cut, 8u);
  EXPECT_EQ(r.end.offset, end);
  EXPECT_EQ(std::filesystem::file_size(last), size) << "zeroed, not cut";
  std::string bytes(static_cast<std::size_t>(size - end), 'x');
  std::ifstream(last, std::ios::binary).seekg(static_cast<std::streamoff>(end)).read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  EXPECT_EQ(bytes, std::string(bytes.size(), '\0'));
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace tally::wal
