// WalWriter with its zeroed room (docs/wal_format.md, "Pre-zeroed segments"): the idle thread zero-fills ahead of
// the logical end, batches are written over the zeros without growing the file, a restart resumes at the logical
// end, rotation seals the old segment, and a zero-fill that hits a full disk never gets a record acknowledged.
#include <algorithm>
#include <atomic>
#include <thread>

#include "tests/unit/wal_writer_harness.hpp"
#include "wal/frame.hpp"

namespace tally::wal::writer_test {
namespace {

constexpr std::size_t room_bytes = 4096;

// Waits (bounded) until the idle writer has zero-filled at least `bytes` in total.
bool zero_filled(const WalWriter& w, std::uint64_t bytes) {
  for (int i = 0; i < 6000; ++i) {
    if (w.stats().zero_filled_bytes >= bytes) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

// Frames from the header to the end, all valid: a segment with no zero tail and no damage.
bool whole_frames(const std::string& segment) {
  std::size_t at = segment_header_bytes;
  for (;;) {
    const FrameRead frame = read_frame(segment, at);
    if (frame.status == FrameStatus::end) return true;
    if (frame.status != FrameStatus::ok) return false;
    at = frame.next_offset;
  }
}

TEST(WalWriterZeroFill, WritesOverSyncedZerosWithoutGrowingTheFile) {
  FaultyFileSystem fs;
  Collector c;
  WalWriter w(options_for(fs, 0, room_bytes));
  ASSERT_TRUE(zero_filled(w, room_bytes));
  const std::uint64_t size = fs.contents(seg(1)).size();
  EXPECT_EQ(size, segment_header_bytes + room_bytes);
  EXPECT_EQ(fs.synced_size(seg(1)), size) << "the room is synced before it is used";
  for (std::uint64_t k = 1; k <= 5; ++k) ASSERT_EQ(write_one(w, c, k), WalStatus::durable);
  // Stopped before the file is read: the idle thread tops the room up again once the batches used some of it.
  w.stop();
  EXPECT_GE(fs.contents(seg(1)).size(), size);
  const std::string data = fs.contents(seg(1));
  EXPECT_EQ(data.find_first_not_of('\0', w.position().offset), std::string::npos) << "zeros after the logical end";
  WalScan scan;
  EXPECT_EQ(scanned_keys(fs, dir, &scan), (std::vector<std::uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_FALSE(scan.torn_tail);
  EXPECT_EQ(scan.torn_bytes_cut, 0u);
  EXPECT_EQ(scan.end.offset, w.position().offset);
  EXPECT_EQ(fs.contents(seg(1)).size(), data.size()) << "the scan cut nothing";
}

TEST(WalWriterZeroFill, ARestartResumesAtTheLogicalEndAndKeepsTheRoom) {
  FaultyFileSystem fs;
  {
    Collector c;
    WalWriter w(options_for(fs, 0, room_bytes));
    for (std::uint64_t k = 1; k <= 3; ++k) ASSERT_EQ(write_one(w, c, k), WalStatus::durable);
    ASSERT_TRUE(zero_filled(w, room_bytes));
  }
  fs.crash();  // everything acknowledged and every zero counted as room was synced
  fs.restart();
  WalScan scan;
  ASSERT_EQ(scanned_keys(fs, dir, &scan), (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_FALSE(scan.torn_tail);
  const std::uint64_t size = fs.contents(seg(1)).size();
  ASSERT_GT(size, scan.end.offset) << "a zero tail to resume before";
  WalWriterOptions o = options_for(fs, 0, room_bytes);
  o.append_at = scan.end;
  Collector c;
  {
    WalWriter w(o);
    EXPECT_EQ(w.position().offset, scan.end.offset);
    ASSERT_EQ(write_one(w, c, 4), WalStatus::durable);
    EXPECT_EQ(w.position().offset, scan.end.offset + frame_header_bytes + 8) << "written at the logical end";
  }
  EXPECT_EQ(scanned_keys(fs, dir), (std::vector<std::uint64_t>{1, 2, 3, 4}));
}

// An old log (every segment ends at its last record, as the writer made them before session 10) reads and
// is appended to by the writer with its room.
TEST(WalWriterZeroFill, AnOldLogWithoutRoomReadsAndAppends) {
  FaultyFileSystem fs;
  {
    Collector c;
    WalWriter old_layout(options_for(fs, 0, 0));
    for (std::uint64_t k = 1; k <= 3; ++k) ASSERT_EQ(write_one(old_layout, c, k), WalStatus::durable);
  }
  WalScan scan;
  ASSERT_EQ(scanned_keys(fs, dir, &scan), (std::vector<std::uint64_t>{1, 2, 3}));
  ASSERT_EQ(fs.contents(seg(1)).size(), scan.end.offset);
  WalWriterOptions o = options_for(fs, 0, room_bytes);
  o.append_at = scan.end;
  Collector c;
  WalWriter w(o);
  ASSERT_EQ(write_one(w, c, 4), WalStatus::durable);
  ASSERT_TRUE(zero_filled(w, 1));
  ASSERT_EQ(write_one(w, c, 5), WalStatus::durable);
  w.stop();
  EXPECT_EQ(scanned_keys(fs, dir), (std::vector<std::uint64_t>{1, 2, 3, 4, 5}));
}

// A torn write into the room (power loss before the fdatasync, part of the batch landed): recovery zeroes it, the
// writer resumes there, and nothing that was not acknowledged is read back.
TEST(WalWriterZeroFill, ATornWriteIntoTheRoomIsZeroedAndWrittenOver) {
  for (std::size_t landed : {3, 8, 20, 100}) {
    SCOPED_TRACE("landed " + std::to_string(landed));
    FaultyFileSystem fs;
    WalPosition before;
    {
      Collector c;
      WalWriter w(options_for(fs, 0, room_bytes));
      ASSERT_EQ(write_one(w, c, 1, 20), WalStatus::durable);
      ASSERT_TRUE(zero_filled(w, room_bytes));
      before = w.position();
      std::atomic<bool> armed{true};
      fs.set_hook([&](FsOp op, const std::string&) {
        if (op == FsOp::sync_data && armed.exchange(false)) fs.crash(landed);
      });
      EXPECT_NE(write_one(w, c, 2, 20), WalStatus::durable) << "its fdatasync never ran";
      fs.set_hook(nullptr);
    }
    fs.restart();
    const std::uint64_t size = fs.contents(seg(1)).size();
    WalScan scan;
    ASSERT_EQ(scanned_keys(fs, dir, &scan), (std::vector<std::uint64_t>{1}));
    EXPECT_TRUE(scan.torn_tail);
    EXPECT_EQ(scan.end.offset, before.offset);
    EXPECT_EQ(fs.contents(seg(1)).size(), size) << "zeroed, not cut";
    EXPECT_EQ(fs.contents(seg(1)).find_first_not_of('\0', before.offset), std::string::npos);
    WalWriterOptions o = options_for(fs, 0, room_bytes);
    o.append_at = scan.end;
    Collector c;
    {
      WalWriter w(o);
      ASSERT_EQ(write_one(w, c, 3), WalStatus::durable);
    }
    EXPECT_EQ(scanned_keys(fs, dir), (std::vector<std::uint64_t>{1, 3}));
  }
}

// At rotation the old segment is cut to its logical end and synced before the next exists: only the last segment
// has a zero tail, so a reader (of either generation) finds every closed segment whole.
TEST(WalWriterZeroFill, RotationSealsTheOldSegmentAtItsLogicalEnd) {
  FaultyFileSystem fs;
  Collector c;
  WalWriter w(options_for(fs, 512, room_bytes));
  for (std::uint64_t k = 1; k <= 60; ++k) {
    ASSERT_EQ(write_one(w, c, k, 1 + k % 5), WalStatus::durable);
    if (k % 7 != 0) continue;
    const std::string open_segment = seg(w.position().segment);  // idle: let the room reach the segment's limit
    const std::uint64_t target = std::min<std::uint64_t>(w.position().offset + room_bytes, 512);
    for (int i = 0; i < 6000 && fs.contents(open_segment).size() < target; ++i) std::this_thread::sleep_for(10ms);
    ASSERT_EQ(fs.contents(open_segment).size(), target);
  }
  w.stop();
  const auto files = fs.file_paths();
  ASSERT_GT(files.size(), 2u);
  for (std::size_t i = 0; i + 1 < files.size(); ++i) {
    EXPECT_TRUE(whole_frames(fs.contents(files[i]))) << files[i];
    EXPECT_EQ(fs.synced_size(files[i]), fs.contents(files[i]).size()) << files[i];
  }
  std::vector<std::uint64_t> expected;
  for (std::uint64_t k = 1; k <= 60; ++k) expected.push_back(k);
  WalScan scan;
  EXPECT_EQ(scanned_keys(fs, dir, &scan), expected);
  EXPECT_FALSE(scan.torn_tail);
}

// A full disk shows at the zero-fill first: the fill fails without breaking the writer or touching a record, the
// records still fit are written, and once the disk is full they fail no_space; none is acknowledged unless durable.
TEST(WalWriterZeroFill, ZeroFillOnAFullDiskNeverAcknowledgesAnything) {
  FaultyFileSystem fs;
  fs.set_capacity(segment_header_bytes + 200);  // no room for the zeros; a few records
  Collector c;
  WalWriter w(options_for(fs, 0, room_bytes));
  std::vector<std::uint64_t> durable;
  bool full = false;
  for (std::uint64_t k = 1; k <= 20; ++k) {
    const WalStatus status = write_one(w, c, k);
    if (status == WalStatus::durable) {
      EXPECT_FALSE(full) << "nothing is written once the disk is full";
      durable.push_back(k);
    } else {
      EXPECT_EQ(status, WalStatus::no_space) << k;
      full = true;
    }
  }
  EXPECT_TRUE(full);
  EXPECT_FALSE(durable.empty());
  EXPECT_EQ(w.stats().zero_filled_bytes, 0u);
  fs.set_capacity(std::nullopt);  // space freed: the writer goes on, room and all
  ASSERT_EQ(write_one(w, c, 21), WalStatus::durable);
  durable.push_back(21);
  ASSERT_TRUE(zero_filled(w, 1));
  ASSERT_EQ(write_one(w, c, 22), WalStatus::durable);
  durable.push_back(22);
  w.stop();
  fs.crash();
  fs.restart();
  EXPECT_EQ(scanned_keys(fs, dir), durable);
}

// Free space is checked before each chunk: with less than chunk + reserve free the zeros are not written at all
// (the old way wrote until ENOSPC and cut back, briefly taking the disk's last bytes); commits go on unharmed.
TEST(WalWriterZeroFill, ZerosWaitForFreeSpaceAboveTheReserve) {
  constexpr std::size_t reserve = 64 * 1024;
  FaultyFileSystem fs;
  fs.set_capacity(segment_header_bytes + 32 * 1024);  // room for a chunk of zeros, not for chunk + reserve
  WalWriterOptions o = options_for(fs, 0, room_bytes);
  o.zero_fill_reserve_bytes = reserve;
  Collector c;
  WalWriter w(o);
  for (int i = 0; i < 6000 && w.stats().zero_fill_low_space == 0; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_GE(w.stats().zero_fill_low_space, 1u);
  for (std::uint64_t k = 1; k <= 5; ++k) ASSERT_EQ(write_one(w, c, k), WalStatus::durable);
  EXPECT_EQ(w.stats().zero_filled_bytes, 0u);
  std::string segment;
  ASSERT_TRUE(fs.read_all(segment_path(dir, 1), segment).ok());
  EXPECT_EQ(segment.size(), w.position().offset) << "no zeros past the logical end";
  fs.set_capacity(segment_header_bytes + 32 * 1024 + reserve + room_bytes);  // space freed: the room is filled
  ASSERT_EQ(write_one(w, c, 6), WalStatus::durable);
  EXPECT_TRUE(zero_filled(w, 1));
  w.stop();
}

// A failed fdatasync of the zeros is fatal like any failed fdatasync: nothing is acknowledged after it.
TEST(WalWriterZeroFill, AFailedSyncOfTheZerosIsFatal) {
  FaultyFileSystem fs;
  std::atomic<int> fatal{0};
  WalWriterOptions o = options_for(fs, 0, room_bytes);
  o.on_fatal = [&fatal](const std::string&) { ++fatal; };
  fs.fail_sync(2, EIO);  // 1: the new segment's header, 2: the first chunk of zeros (the thread starts idle)
  Collector c;
  WalWriter w(o);
  for (int i = 0; i < 6000 && fatal.load() == 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(fatal.load(), 1);
  EXPECT_EQ(write_one(w, c, 1), WalStatus::io_error);
  w.stop();
  EXPECT_TRUE(scanned_keys(fs, dir).empty());
}

}  // namespace
}  // namespace tally::wal::writer_test
