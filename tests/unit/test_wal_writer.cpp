// Tests of WalWriter on FaultyFileSystem (the real disk: test_wal_reader): group commit under concurrency, the
// durability rule across crashes, ENOSPC/EIO/fsync-failure handling, dependencies, rotation, queue limit.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <set>
#include <thread>

#include "disk/data_dir.hpp"
#include "ledger/limits.hpp"
#include "tests/unit/faulty_file_system.hpp"
#include "wal/frame.hpp"
#include "wal/wal_reader.hpp"
#include "wal/wal_writer.hpp"

namespace tally::wal {
namespace {

using disk::AppendFile;
using disk::FileSystem;
using testing::FaultyFileSystem;
using testing::FsOp;
using namespace std::chrono_literals;

const std::string dir = disk::DataDir("data").wal();
std::string seg(std::uint64_t n) { return dir + "/" + segment_file_name(n); }

// Payload = the key as 8 LE bytes, padded with filler words.
std::string payload(std::uint64_t key, std::size_t words = 1) {
  std::string p;
  for (int i = 0; i < 8; ++i) p.push_back(static_cast<char>((key >> (8 * i)) & 0xffu));
  p.append((words - 1) * 8, static_cast<char>('a' + key % 26));
  return p;
}
std::uint64_t key_of(std::string_view p) {
  std::uint64_t key = 0;
  for (int i = 7; i >= 0; --i) key = (key << 8) | static_cast<unsigned char>(p[static_cast<std::size_t>(i)]);
  return key;
}

std::vector<std::uint64_t> scanned_keys(FileSystem& fs, const std::string& where, WalScan* out = nullptr) {
  std::vector<std::uint64_t> keys;
  const WalScan scan = scan_wal(fs, where, [&](std::string_view p) {
    keys.push_back(key_of(p));
    return true;
  });
  EXPECT_TRUE(scan.status.ok()) << scan.status.message();
  if (out) *out = scan;
  return keys;
}

// Collects completions in the order they happen.
class Collector {
 public:
  WalDone done(std::uint64_t key) {
    return [this, key](WalStatus s) {
      std::lock_guard<std::mutex> lock(mutex_);
      events_.emplace_back(key, s);
      cv_.notify_all();
    };
  }
  bool wait_for(std::size_t count) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, 60s, [&] { return events_.size() >= count; });
  }
  std::vector<std::pair<std::uint64_t, WalStatus>> events() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return events_;
  }
  std::optional<WalStatus> status(std::uint64_t key) const {  // exactly-once: a second completion is an error
    std::optional<WalStatus> found;
    for (const auto& [k, s] : events())
      if (k == key) {
        EXPECT_FALSE(found.has_value()) << "key " << key << " completed twice";
        found = s;
      }
    return found;
  }
  WalStatus wait_status(std::uint64_t key) {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait_for(lock, 60s, [&] {
      for (const auto& e : events_) if (e.first == key) return true;
      return false;
    });
    lock.unlock();
    return status(key).value_or(WalStatus::stopped);
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::pair<std::uint64_t, WalStatus>> events_;
};

// Submits one record and waits for its completion.
WalStatus write_one(WalWriter& w, Collector& c, std::uint64_t key, std::size_t words = 1, WalTicket depends_on = 0) {
  w.submit(payload(key, words), depends_on, c.done(key));
  return c.wait_status(key);
}

WalWriterOptions options_for(FileSystem& fs, std::size_t segment_bytes_max = 0) {
  WalWriterOptions o;
  o.dir = dir;
  o.fs = &fs;
  o.segment_bytes_max = segment_bytes_max;
  return o;
}

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
    if (op != FsOp::append || !armed.exchange(false)) return;
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
    if (op != FsOp::append || !armed.exchange(false)) return;
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
}  // namespace tally::wal
