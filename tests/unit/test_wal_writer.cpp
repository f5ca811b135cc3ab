// Tests of WalWriter on FaultyFileSystem (the real disk: test_wal_reader): group commit under concurrency, tickets
// and framed groups, dependencies, rotation, reopening, the queue limit. ENOSPC/EIO/fsync failures and the
// durability rule across crashes: test_wal_writer_failures.cpp.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <thread>

#include "disk/data_dir.hpp"
#include "ledger/limits.hpp"
#include "tests/unit/faulty_file_system.hpp"
#include "tests/unit/wal_writer_harness.hpp"
#include "wal/frame.hpp"
#include "wal/wal_reader.hpp"
#include "wal/wal_writer.hpp"

namespace tally::wal::writer_test {
namespace {

TEST(WalWriter, WritesHeaderAndFramesAndReportsPosition) {
  FaultyFileSystem fs;
  Collector c;
  WalWriter w(options_for(fs));
  EXPECT_EQ(w.submit(payload(1), 0, c.done(1)), 1u);
  EXPECT_EQ(w.submit(payload(2, 3), 0, c.done(2)), 2u);
  ASSERT_TRUE(c.wait_for(2));
  EXPECT_EQ(c.status(1), WalStatus::durable);
  EXPECT_EQ(c.status(2), WalStatus::durable);
  EXPECT_EQ(w.position().segment, 1u);
  EXPECT_EQ(w.position().offset, 16u + 16u + 32u);
  EXPECT_EQ(fs.synced_size(seg(1)), w.position().offset);  // durable means synced
  w.stop();
  WalScan scan;
  EXPECT_EQ(scanned_keys(fs, dir, &scan), (std::vector<std::uint64_t>{1, 2}));
  EXPECT_EQ(scan.end.offset, 64u);
  EXPECT_THROW(w.submit("", 0, c.done(3)), std::invalid_argument);
  w.submit(payload(4), 0, c.done(4));
  EXPECT_EQ(c.status(4), WalStatus::stopped);  // inline, after stop
}

// submit never returns 0: a record refused without queueing still takes the next ticket (remembered as failed),
// and its `done` has run before submit returns.
TEST(WalWriter, ARefusedSubmissionStillTakesTheNextTicket) {
  FaultyFileSystem fs;
  Collector c;
  WalWriter w(options_for(fs));
  const WalTicket first = w.submit(payload(1), 0, c.done(1));
  ASSERT_EQ(c.wait_status(1), WalStatus::durable);
  w.stop();
  const WalTicket refused = w.submit(payload(2), first, c.done(2));
  EXPECT_EQ(c.status(2), WalStatus::stopped) << "completed before submit returned";
  EXPECT_EQ(refused, first + 1);
}

TEST(WalWriter, AFramedGroupIsOneEntryWithOneTicketAndCountsEveryRecord) {
  FaultyFileSystem fs;
  Collector c;
  WalWriter w(options_for(fs));
  RecordGroup group;
  for (std::uint64_t key = 10; key < 13; ++key) group.add(payload(key, 2));
  const WalTicket first = w.submit_group(std::move(group), 0, c.done(10));
  const WalTicket second = w.submit(payload(13), first, c.done(13));
  EXPECT_EQ(second, first + 1) << "a group takes one ticket";
  ASSERT_TRUE(c.wait_for(2));
  EXPECT_EQ(c.status(10), WalStatus::durable);
  EXPECT_EQ(c.status(13), WalStatus::durable);
  EXPECT_EQ(w.stats().records, 4u);
  w.stop();
  EXPECT_EQ(scanned_keys(fs, dir), (std::vector<std::uint64_t>{10, 11, 12, 13}));
}

TEST(WalWriter, AFailedGroupFailsWholeAndItsDependents) {
  FaultyFileSystem fs;
  Collector c;
  WalWriter w(options_for(fs));
  ASSERT_EQ(write_one(w, c, 1), WalStatus::durable);
  RecordGroup group;
  for (std::uint64_t key = 20; key < 24; ++key) group.add(payload(key));
  fs.fail_append(1, ENOSPC, 20);  // torn inside the second record of the group
  const WalTicket ticket = w.submit_group(std::move(group), 0, c.done(20));
  EXPECT_EQ(c.wait_status(20), WalStatus::no_space);
  EXPECT_EQ(write_one(w, c, 30, 1, ticket), WalStatus::dependency_failed);
  EXPECT_EQ(write_one(w, c, 31), WalStatus::durable);
  w.stop();
  EXPECT_EQ(scanned_keys(fs, dir), (std::vector<std::uint64_t>{1, 31})) << "no part of the group survives";
}

TEST(WalWriter, ConcurrentSubmittersAreGroupCommittedInTicketOrder) {
  FaultyFileSystem fs;
  fs.set_sync_delay(100us);
  std::atomic<std::uint64_t> durable{0}, other{0};
  WalWriter w(options_for(fs));
  constexpr std::uint64_t threads = 8, per_thread = 10'000;
  std::vector<std::vector<std::pair<WalTicket, std::uint64_t>>> submitted(threads);
  std::vector<std::thread> workers;
  for (std::uint64_t t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      for (std::uint64_t i = 0; i < per_thread; ++i) {
        const std::uint64_t key = (t << 32) | i;
        const WalTicket ticket = w.submit(payload(key, 1 + i % 3), 0, [&](WalStatus s) {
          (s == WalStatus::durable ? durable : other).fetch_add(1);
        });
        submitted[t].emplace_back(ticket, key);
      }
    });
  for (auto& worker : workers) worker.join();
  w.stop();
  EXPECT_EQ(durable.load(), threads * per_thread);
  EXPECT_EQ(other.load(), 0u);
  std::vector<std::pair<WalTicket, std::uint64_t>> all;
  for (const auto& v : submitted) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  std::vector<std::uint64_t> expected;
  for (const auto& p : all) expected.push_back(p.second);
  EXPECT_EQ(scanned_keys(fs, dir), expected);
  const WalStats stats = w.stats();
  EXPECT_EQ(stats.records, threads * per_thread);
  EXPECT_LT(stats.batches, stats.records);  // group commit happened
  EXPECT_EQ(stats.failed_records, 0u);
}

// The batch-end hook runs once per batch on the writer thread, after every completion of the batch, whether the
// batch became durable or failed (with everything queued behind it); never for a submission refused inline.
TEST(WalWriter, BatchEndRunsAfterEachBatchsCompletionsDurableOrFailed) {
  FaultyFileSystem fs;
  Collector c;
  WalWriter w(options_for(fs));
  constexpr std::uint64_t batch_end = 999;
  WalDone mark_end = c.done(batch_end);
  w.set_batch_end([&mark_end] { mark_end(WalStatus::durable); });
  ASSERT_EQ(write_one(w, c, 1), WalStatus::durable);
  ASSERT_TRUE(c.wait_for(2));
  std::atomic<bool> armed{false};
  fs.set_hook([&](FsOp op, const std::string&) {
    if (op != FsOp::write_at || !armed.exchange(false)) return;
    const WalTicket behind = w.submit(payload(11), 0, c.done(11));
    w.submit(payload(12), behind, c.done(12));
  });
  fs.fail_append(1, EIO);
  armed = true;
  w.submit(payload(10), 0, c.done(10));
  ASSERT_TRUE(c.wait_for(6));
  ASSERT_EQ(write_one(w, c, 15), WalStatus::durable);
  ASSERT_TRUE(c.wait_for(8));
  w.stop();
  w.submit(payload(16), 0, c.done(16));  // refused inline: no batch, no batch end
  using E = std::pair<std::uint64_t, WalStatus>;
  const std::vector<E> expected{{1, WalStatus::durable},        {batch_end, WalStatus::durable},
                                {10, WalStatus::io_error},      {11, WalStatus::io_error},
                                {12, WalStatus::io_error},      {batch_end, WalStatus::durable},
                                {15, WalStatus::durable},       {batch_end, WalStatus::durable},
                                {16, WalStatus::stopped}};
  EXPECT_EQ(c.events(), expected);
}

TEST(WalWriter, RotatesSegmentsAndScanReadsThemInOrder) {
  FaultyFileSystem fs;
  Collector c;
  WalWriter w(options_for(fs, 256));
  for (std::uint64_t k = 1; k <= 60; ++k) write_one(w, c, k, 1 + k % 5);
  w.stop();
  const auto files = fs.file_paths();
  ASSERT_GT(files.size(), 3u);
  for (std::size_t i = 0; i < files.size(); ++i) {
    EXPECT_EQ(files[i], seg(i + 1));
    EXPECT_LE(fs.contents(files[i]).size(), 256u);
    EXPECT_TRUE(valid_segment_header(fs.contents(files[i])));
  }
  WalScan scan;
  std::vector<std::uint64_t> expected;
  for (std::uint64_t k = 1; k <= 60; ++k) expected.push_back(k);
  EXPECT_EQ(scanned_keys(fs, dir, &scan), expected);
  EXPECT_EQ(scan.segments, files.size());
  EXPECT_EQ(scan.end.segment, w.position().segment);
  EXPECT_EQ(scan.end.offset, w.position().offset);
}

TEST(WalWriter, BatchLargerThanASegmentIsWrittenWhole) {
  FaultyFileSystem fs;
  Collector c;
  WalWriter w(options_for(fs, 64));
  for (std::uint64_t k = 1; k <= 2; ++k) EXPECT_EQ(write_one(w, c, k, 16), WalStatus::durable);
  ASSERT_EQ(fs.file_paths(), (std::vector<std::string>{seg(1), seg(2)}));
  for (std::uint64_t n = 1; n <= 2; ++n) EXPECT_EQ(fs.contents(seg(n)).size(), 16u + 8u + 128u);
}

TEST(WalWriter, ReopensAtTheScannedEndAfterATornTailButNeverOverwrites) {
  FaultyFileSystem fs;
  {
    Collector c;
    WalWriter w(options_for(fs));
    for (std::uint64_t k = 1; k <= 3; ++k) w.submit(payload(k), 0, c.done(k));
    ASSERT_TRUE(c.wait_for(3));
  }
  std::unique_ptr<AppendFile> f;
  ASSERT_TRUE(fs.open_append(seg(1), f).ok());
  ASSERT_TRUE(f->append(std::string("\x10\0\0\0garbage", 11)).ok());  // a torn frame
  WalScan scan;
  ASSERT_EQ(scanned_keys(fs, dir, &scan).size(), 3u);
  EXPECT_EQ(scan.torn_bytes_cut, 11u);
  WalWriterOptions o = options_for(fs);
  o.append_at = scan.end;
  Collector c;
  WalWriter w(o);
  write_one(w, c, 4);
  w.stop();
  EXPECT_EQ(scanned_keys(fs, dir), (std::vector<std::uint64_t>{1, 2, 3, 4}));
  EXPECT_THROW(WalWriter fresh(options_for(fs)), std::runtime_error);  // "fresh log" over existing data: refused
  EXPECT_EQ(scanned_keys(fs, dir).size(), 4u);
}

TEST(WalWriter, CompletionCallbacksMaySubmit) {
  FaultyFileSystem fs;
  Collector c;
  WalWriter w(options_for(fs));
  w.submit(payload(1), 0, [&](WalStatus s) {
    c.done(1)(s);
    w.submit(payload(2), 0, c.done(2));
  });
  EXPECT_EQ(c.wait_status(2), WalStatus::durable);
  w.stop();
  EXPECT_EQ(scanned_keys(fs, dir), (std::vector<std::uint64_t>{1, 2}));
}

TEST(WalWriter, FullQueueCompletesInlineWithNoSpace) {
  FaultyFileSystem fs;
  std::promise<void> entered, release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> armed{true};
  std::atomic<std::uint64_t> durable{0};
  WalWriter w(options_for(fs));
  fs.set_hook([&](FsOp op, const std::string&) {
    if (op == FsOp::sync_data && armed.exchange(false)) {
      entered.set_value();
      released.wait();  // the writer is stuck in "fdatasync" while the queue fills
    }
  });
  auto count = [&](WalStatus s) { if (s == WalStatus::durable) durable.fetch_add(1); };
  w.submit(payload(0), 0, count);
  entered.get_future().wait();
  for (std::uint64_t k = 1; k <= limits::wal_queue_records_max; ++k) w.submit(payload(k), 0, count);
  Collector c;
  const WalTicket rejected = w.submit(payload(1), 0, c.done(1));
  EXPECT_EQ(c.status(1), WalStatus::no_space);
  w.submit(payload(2), rejected, c.done(2));
  EXPECT_EQ(c.status(2), WalStatus::dependency_failed);
  release.set_value();
  w.stop();
  EXPECT_EQ(durable.load(), limits::wal_queue_records_max + 1);
  EXPECT_GE(w.stats().batches, 1 + limits::wal_queue_records_max / limits::wal_batch_records_max);
}

}  // namespace
}  // namespace tally::wal::writer_test
