// WalWriter when the disk fails, on FaultyFileSystem: ENOSPC fails a record and its dependents and later ones
// succeed, a failed write fails everything queued behind it, a full disk recovers once space is freed, a failed
// fdatasync or directory sync is fatal with nothing durable after it, and after power loss the log holds exactly
// the records completed durable (also with a torn tail).
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "disk/data_dir.hpp"
#include "tests/unit/faulty_file_system.hpp"
#include "tests/unit/wal_writer_harness.hpp"
#include "wal/frame.hpp"
#include "wal/wal_reader.hpp"
#include "wal/wal_writer.hpp"

namespace tally::wal::writer_test {
namespace {

TEST(WalWriter, EnospcFailsRecordAndDependentsThenLaterRecordsSucceed) {
  FaultyFileSystem fs;
  Collector c;
  WalWriter w(options_for(fs));
  const WalTicket a = w.submit(payload(1), 0, c.done(1));
  ASSERT_EQ(c.wait_status(1), WalStatus::durable);
  const std::uint64_t durable_size = fs.contents(seg(1)).size();

  fs.fail_append(1, ENOSPC, 5);  // a torn write: 5 bytes land, then ENOSPC
  const WalTicket b = w.submit(payload(2), 0, c.done(2));
  ASSERT_EQ(c.wait_status(2), WalStatus::no_space);
  EXPECT_EQ(fs.contents(seg(1)).size(), durable_size);  // the partial write was cut back

  const WalTicket dep = w.submit(payload(3), b, c.done(3));
  EXPECT_EQ(c.status(3), WalStatus::dependency_failed);  // completed inline, before submit returned
  w.submit(payload(4), dep, c.done(4));                  // transitively
  EXPECT_EQ(c.status(4), WalStatus::dependency_failed);
  w.submit(payload(5), a, c.done(5));  // depends on a durable record: fine
  EXPECT_EQ(c.wait_status(5), WalStatus::durable);
  w.stop();
  EXPECT_EQ(scanned_keys(fs, dir), (std::vector<std::uint64_t>{1, 5}));
  EXPECT_EQ(w.stats().failed_records, 3u);
}

TEST(WalWriter, FailedWriteFailsEverythingQueuedBehindIt) {
  FaultyFileSystem fs;
  Collector c;
  int fatal_calls = 0;
  WalWriterOptions o = options_for(fs);
  o.on_fatal = [&](const std::string&) { ++fatal_calls; };
  WalWriter w(o);
  std::atomic<bool> armed{false};
  WalTicket queued_ticket = 0;
  // While the writer is inside append(), more records arrive and queue up behind the failing batch.
  fs.set_hook([&](FsOp op, const std::string&) {
    if (op != FsOp::write_at || !armed.exchange(false)) return;
    queued_ticket = w.submit(payload(11), 0, c.done(11));
    w.submit(payload(12), queued_ticket, c.done(12));
    w.submit(payload(13), 0, c.done(13));
  });
  fs.fail_append(1, EIO);
  armed = true;
  w.submit(payload(10), 0, c.done(10));
  ASSERT_TRUE(c.wait_for(4));
  for (std::uint64_t k : {10, 11, 12, 13}) EXPECT_EQ(c.status(k), WalStatus::io_error) << k;
  w.submit(payload(14), queued_ticket, c.done(14));
  EXPECT_EQ(c.status(14), WalStatus::dependency_failed);
  w.submit(payload(15), 0, c.done(15));
  EXPECT_EQ(c.wait_status(15), WalStatus::durable);  // a failed write is not fatal
  w.stop();
  EXPECT_EQ(fatal_calls, 0);
  EXPECT_EQ(scanned_keys(fs, dir), (std::vector<std::uint64_t>{15}));
}

TEST(WalWriter, FullDiskRecoversOnceSpaceIsFreed) {
  FaultyFileSystem fs;
  Collector c;
  WalWriter w(options_for(fs));
  fs.set_capacity(fs.contents(seg(1)).size() + 3 * 24 + 10);  // room for 3 frames of 24 bytes, then a torn one
  for (std::uint64_t k = 1; k <= 6; ++k) write_one(w, c, k, 2);
  for (std::uint64_t k = 1; k <= 3; ++k) EXPECT_EQ(c.status(k), WalStatus::durable) << k;
  for (std::uint64_t k = 4; k <= 6; ++k) EXPECT_EQ(c.status(k), WalStatus::no_space) << k;
  fs.set_capacity(std::nullopt);
  w.submit(payload(7, 2), 0, c.done(7));
  EXPECT_EQ(c.wait_status(7), WalStatus::durable);
  w.stop();
  EXPECT_EQ(scanned_keys(fs, dir), (std::vector<std::uint64_t>{1, 2, 3, 7}));
}

TEST(WalWriter, SyncFailureIsFatalAndNothingIsDurableAfterIt) {
  FaultyFileSystem fs;
  fs.set_sync_delay(200us);
  Collector c;
  std::atomic<int> fatal_calls{0};
  WalWriterOptions o = options_for(fs);
  o.on_fatal = [&](const std::string&) { fatal_calls.fetch_add(1); };
  WalWriter w(o);
  ASSERT_EQ(write_one(w, c, 5000), WalStatus::durable);
  fs.fail_sync(1);  // the first batch of the burst below fails; the rest queue behind it or arrive later
  std::vector<std::thread> workers;
  for (std::uint64_t t = 0; t < 4; ++t)
    workers.emplace_back([&, t] {
      for (std::uint64_t i = 0; i < 500; ++i) w.submit(payload(t * 1000 + i), 0, c.done(t * 1000 + i));
    });
  for (auto& worker : workers) worker.join();
  ASSERT_TRUE(c.wait_for(2001));
  EXPECT_EQ(fatal_calls.load(), 1);
  std::set<std::uint64_t> durable;
  bool failed_seen = false;
  for (const auto& [key, status] : c.events()) {
    if (status == WalStatus::durable) {
      EXPECT_FALSE(failed_seen) << "durable after a failed fdatasync: " << key;
      durable.insert(key);
    } else {
      EXPECT_EQ(status, WalStatus::io_error);
      failed_seen = true;
    }
  }
  EXPECT_TRUE(failed_seen);
  w.submit(payload(9999), 0, c.done(9999));
  EXPECT_EQ(c.status(9999), WalStatus::io_error);  // inline: the writer is broken for good
  w.stop();
  fs.crash();  // the failed batch was never synced: after a power loss only the durable records remain
  fs.restart();
  const auto keys = scanned_keys(fs, dir);
  EXPECT_EQ(std::set<std::uint64_t>(keys.begin(), keys.end()), durable);
  EXPECT_EQ(keys.size(), durable.size());
  EXPECT_EQ(fatal_calls.load(), 1);
}

// Power loss at the k-th fdatasync (the batch is written, not synced): afterwards the log holds exactly the
// records that were completed durable. With keep_unsynced > 0 a torn prefix of the lost batch stays on disk.
std::uint64_t crash_round(int crash_at_sync, std::size_t keep_unsynced) {  // returns torn bytes cut
  FaultyFileSystem fs;
  fs.set_sync_delay(30us);
  Collector c;
  WalWriterOptions o = options_for(fs, 2048);  // many rotations: some crashes hit a new segment's header sync
  o.on_fatal = [](const std::string&) {};
  WalWriter w(o);
  std::atomic<int> syncs{0};
  fs.set_hook([&](FsOp op, const std::string&) {
    if (op == FsOp::sync_data && ++syncs == crash_at_sync) fs.crash(keep_unsynced);
  });
  std::vector<std::thread> workers;
  for (std::uint64_t t = 0; t < 4; ++t)
    workers.emplace_back([&, t] {
      // Like clients awaiting acknowledgements: bursts of 20, so there are many batches to crash into.
      for (std::uint64_t i = 0; i < 2000; ++i) {
        w.submit(payload(t * 10'000 + i, 1 + i % 4), 0, c.done(t * 10'000 + i));
        if (i % 20 == 19) c.wait_status(t * 10'000 + i);
      }
    });
  for (auto& worker : workers) worker.join();
  EXPECT_TRUE(c.wait_for(8000));
  w.stop();
  fs.restart();
  std::set<std::uint64_t> durable;
  for (const auto& [key, status] : c.events())
    if (status == WalStatus::durable) durable.insert(key);
  EXPECT_LT(durable.size(), 8000u);  // the crash did hit records in flight
  WalScan scan;
  const auto keys = scanned_keys(fs, dir, &scan);
  EXPECT_GE(keys.size(), durable.size());
  if (keys.size() < durable.size()) return 0;
  // Durable records come first (ticket order); anything after them is an unacknowledged survivor of the tear.
  EXPECT_EQ(std::set<std::uint64_t>(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(durable.size())), durable);
  if (keep_unsynced == 0) {
    EXPECT_EQ(keys.size(), durable.size());
  }
  for (std::size_t i = durable.size(); i < keys.size(); ++i) EXPECT_EQ(durable.count(keys[i]), 0u);
  return scan.torn_bytes_cut;
}

TEST(WalWriter, CrashKeepsExactlyTheRecordsCompletedDurable) {
  for (int k = 2; k <= 20; k += 3) {
    SCOPED_TRACE("crash at sync " + std::to_string(k));
    crash_round(k, 0);
  }
}

TEST(WalWriter, CrashWithTornTailKeepsTheDurablePrefix) {
  std::uint64_t torn = 0;
  for (int k = 2; k <= 20; k += 3) {
    SCOPED_TRACE("crash at sync " + std::to_string(k));
    torn += crash_round(k, 37);
  }
  EXPECT_GT(torn, 0u);  // some round really left a torn frame for the scan to cut
}

TEST(WalWriter, FailedDirectorySyncOnRotationIsFatal) {
  FaultyFileSystem fs;
  Collector c;
  int fatal_calls = 0;
  WalWriterOptions o = options_for(fs, 64);
  o.on_fatal = [&](const std::string&) { ++fatal_calls; };
  WalWriter w(o);
  write_one(w, c, 1, 6);
  fs.fail_sync_dir(1);
  EXPECT_EQ(write_one(w, c, 2, 6), WalStatus::io_error);
  EXPECT_EQ(fatal_calls, 1);
}

}  // namespace
}  // namespace tally::wal::writer_test
