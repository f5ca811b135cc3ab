// Snapshots, the normal paths: a restore from snapshot + WAL equals a pure WAL replay, snapshots taken while
// writes continue, the snapshotter thread, retention with a writer appending after a snapshot, scan_wal's start.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "snapshot/retention.hpp"
#include "snapshot/snapshot_reader.hpp"
#include "snapshot/snapshot_writer.hpp"
#include "snapshot/snapshotter.hpp"
#include "snapshot_harness.hpp"
#include "wal/frame.hpp"

namespace {

using namespace tally;
using namespace tally::testing;
using snapshot::BuildResult;

std::string segment_with(int records) {
  std::string s;
  wal::append_segment_header(s);
  for (int i = 0; i < records; ++i)
    wal::append_frame(s, *wal::encode(UserCreated{static_cast<UserId>(i + 1), "u", "", jan1_2023, {}, 0}));
  return s;
}

TEST(SnapshotFormat, NamesSortLikePositionsAndRoundTrip) {
  const wal::WalPosition at{7, 67108880};
  EXPECT_EQ(snapshot::snapshot_file_name(at), "snap-00000000000000000007-00000000000067108880.snap");
  wal::WalPosition parsed;
  ASSERT_TRUE(snapshot::parse_snapshot_name(snapshot::snapshot_file_name(at), parsed));
  EXPECT_TRUE(wal::same_position(parsed, at));
  EXPECT_FALSE(snapshot::parse_snapshot_name("snap-7-1.snap", parsed));
  EXPECT_FALSE(snapshot::parse_snapshot_name(snapshot::snapshot_file_name(at) + ".tmp", parsed));
  EXPECT_LT(snapshot::snapshot_file_name({2, 900}), snapshot::snapshot_file_name({10, 16}));
  std::string header;
  snapshot::append_header(header, at);
  ASSERT_EQ(header.size(), snapshot::header_bytes);
  EXPECT_TRUE(snapshot::parse_header(header, "snap", parsed).ok());
  EXPECT_TRUE(wal::same_position(parsed, at));
  header[15] ^= 1;
  EXPECT_FALSE(snapshot::parse_header(header, "snap", parsed).ok());
}

TEST(WalScanFrom, SkipsEarlierSegmentsAndToleratesTheirAbsence) {
  FaultyFileSystem fs;
  const std::string two = segment_with(3), three = segment_with(2);
  fs.write_file(segment_path(2), two);
  fs.write_file(segment_path(3), three);  // segment 1 deleted: fine when starting at 2 or later
  int seen = 0;
  const std::size_t second_record = wal::segment_header_bytes + (two.size() - wal::segment_header_bytes) / 3;
  wal::WalScan scan = wal::scan_wal(fs, wal_dir, wal::WalPosition{2, second_record}, [&](std::string_view) {
    ++seen;
    return true;
  });
  ASSERT_TRUE(scan.status.ok()) << scan.status.message();
  EXPECT_EQ(seen, 2 + 2);
  EXPECT_EQ(scan.first_segment, 2u);
  EXPECT_EQ(scan.end.segment, 3u);
  EXPECT_EQ(scan.end.offset, three.size());
  // The start segment must be the first one present, and reach the start offset.
  scan = wal::scan_wal(fs, wal_dir, wal::WalPosition{1, 100}, nullptr);
  EXPECT_FALSE(scan.status.ok());
  EXPECT_NE(scan.status.message().find(wal::segment_file_name(1)), std::string::npos) << scan.status.message();
  scan = wal::scan_wal(fs, wal_dir, wal::WalPosition{3, three.size() + 8}, nullptr);
  EXPECT_FALSE(scan.status.ok());
  scan = wal::scan_wal(fs, wal_dir, wal::WalPosition{4, 500}, nullptr);
  EXPECT_FALSE(scan.status.ok()) << "covered data of a missing segment";
  scan = wal::scan_wal(fs, wal_dir, wal::WalPosition{4, 0}, nullptr);
  EXPECT_TRUE(scan.status.ok()) << scan.status.message();
  EXPECT_EQ(scan.end.segment, 4u);
  // The old signature still reads from the first segment present.
  seen = 0;
  scan = wal::scan_wal(fs, wal_dir, [&](std::string_view) { return ++seen > 0; });
  EXPECT_TRUE(scan.status.ok());
  EXPECT_EQ(seen, 5);
}

TEST(WalScanFrom, ReadOnlyReportsATornTailWithoutCutting) {
  FaultyFileSystem fs;
  const std::string data = segment_with(3) + std::string("\x40\x00\x00\x00\x01\x02", 6);
  fs.write_file(segment_path(1), data);
  wal::ScanOptions options;
  options.read_only = true;
  const wal::WalScan scan = wal::scan_wal(fs, wal_dir, options, wal::PositionedVisitor());
  ASSERT_TRUE(scan.status.ok()) << scan.status.message();
  EXPECT_TRUE(scan.torn_tail);
  EXPECT_EQ(scan.torn_bytes, 6u);
  EXPECT_EQ(scan.torn_bytes_cut, 0u);
  EXPECT_EQ(fs.contents(segment_path(1)), data);
}

TEST(Snapshot, RestoreEqualsPureWalReplay) {
  FaultyFileSystem fs;
  Model model;
  wal::WalPosition middle, end;
  {
    LedgerHarness h(fs, small_segment_bytes);
    drive(h, model, 1, 250);
    middle = closed_end(fs, h.wal().position());
    drive(h, model, 2, 150);
    end = stop_and_end(h);
  }
  ASSERT_GT(middle.segment, 2u);
  const BuildResult first = snapshot::build_snapshot(fs, data_dir, middle);
  ASSERT_EQ(first.outcome, BuildResult::Outcome::built) << first.status.message();
  EXPECT_TRUE(first.base.empty());
  const snapshot::SnapshotRead read = snapshot::validate_snapshot(fs, first.path, snapshot::SnapshotCheck::records);
  ASSERT_TRUE(read.status.ok()) << read.status.message();
  EXPECT_EQ(read.records, first.records);
  EXPECT_EQ(read.users, 4u);
  EXPECT_EQ(read.transactions + 4, first.records);
  EXPECT_EQ(snapshot::footer_transactions(fs, first.path), std::optional<std::uint64_t>(read.transactions))
      << "the footer read from the end alone says what the validating read counted";
  ASSERT_TRUE(read.first_tx_at.has_value());
  EXPECT_LE(*read.first_tx_at, *read.last_tx_at);

  RestoredLedger wal_only(fs, false);
  ASSERT_TRUE(wal_only.report().status.ok()) << wal_only.report().status.message();
  const std::string truth = fingerprint(wal_only.ledger(), model);
  EXPECT_EQ(truth, expected_fingerprint(model));
  {
    RestoredLedger from_middle(fs, true);  // snapshot + a WAL tail of several segments
    ASSERT_TRUE(from_middle.report().status.ok()) << from_middle.report().status.message();
    EXPECT_EQ(from_middle.report().snapshot, first.path);
    EXPECT_EQ(from_middle.report().snapshot_records, first.records);
    EXPECT_GT(from_middle.report().wal_records, 0u);
    EXPECT_EQ(from_middle.report().snapshot_records + from_middle.report().wal_records,
              model.users.size() + model.txs.size());
    EXPECT_EQ(fingerprint(from_middle.ledger(), model), truth);
  }
  const BuildResult second = snapshot::build_snapshot(fs, data_dir, end);  // merges the first + the WAL after it
  ASSERT_EQ(second.outcome, BuildResult::Outcome::built) << second.status.message();
  EXPECT_EQ(second.base, first.path);
  EXPECT_EQ(second.records, model.users.size() + model.txs.size());
  RestoredLedger from_end(fs, true);
  ASSERT_TRUE(from_end.report().status.ok()) << from_end.report().status.message();
  EXPECT_EQ(from_end.report().snapshot, second.path);
  EXPECT_EQ(from_end.report().wal_records, 0u);
  EXPECT_EQ(fingerprint(from_end.ledger(), model), truth);
  // Nothing new: nothing written.
  EXPECT_EQ(snapshot::build_snapshot(fs, data_dir, end).outcome, BuildResult::Outcome::nothing_new);
}

TEST(Snapshot, BuiltWhileWritesContinue) {
  FaultyFileSystem fs;
  Model model;
  LedgerHarness h(fs, small_segment_bytes);
  std::atomic<bool> writing{true};
  std::thread writer([&] {
    for (unsigned round = 0; writing; ++round) drive(h, model, 100 + round, 40);
  });
  int built = 0;
  wal::WalPosition last{};
  for (int attempt = 0; attempt < 2000 && built < 4; ++attempt) {
    const wal::WalPosition closed = closed_end(fs, h.wal().position());
    if (wal::position_before(last, closed)) {
      const BuildResult r = snapshot::build_snapshot(fs, data_dir, closed);
      ASSERT_EQ(r.outcome, BuildResult::Outcome::built) << r.status.message();
      last = closed;
      ++built;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  writing = false;
  writer.join();
  EXPECT_EQ(built, 4);
  const wal::WalPosition end = stop_and_end(h);
  EXPECT_TRUE(wal::position_before(last, end));
  RestoredLedger restored(fs, true);
  ASSERT_TRUE(restored.report().status.ok()) << restored.report().status.message();
  EXPECT_EQ(restored.report().snapshot, snapshot_path(last));
  EXPECT_GT(restored.report().wal_records, 0u);
  EXPECT_EQ(fingerprint(restored.ledger(), model), expected_fingerprint(model));
}

TEST(Snapshot, SnapshotterTakesPeriodicAndFinalSnapshotsAndPrunes) {
  FaultyFileSystem fs;
  Model model;
  {
    LedgerHarness h(fs, small_segment_bytes);
    snapshot::SnapshotterOptions options;
    options.fs = &fs;
    options.data_dir = data_dir;
    options.wal_position = [&h] { return h.wal().position(); };
    options.wal_bytes_min = 3 * small_segment_bytes;
    options.check_interval = std::chrono::milliseconds(2);
    snapshot::Snapshotter snapshotter(options);
    snapshotter.start();
    for (unsigned round = 0; round < 200 && snapshotter.builds() < 3; ++round) {
      drive(h, model, 200 + round, 30);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_GE(snapshotter.builds(), 3u);
    h.wal().stop();
    snapshotter.stop();
    const BuildResult last = snapshotter.snapshot_through(h.wal().position());
    EXPECT_EQ(last.outcome, BuildResult::Outcome::built) << last.status.message();
    EXPECT_EQ(snapshotter.snapshot_through(h.wal().position()).outcome, BuildResult::Outcome::nothing_new);
    EXPECT_EQ(snapshotter.failures(), 0u);
  }
  snapshot::SnapshotListing listing;
  ASSERT_TRUE(snapshot::list_snapshots(fs, snap_dir, listing).ok());
  ASSERT_EQ(listing.snapshots.size(), 2u) << "retention keeps two";
  EXPECT_FALSE(fs.exists(segment_path(1))) << "segment 1 is in both kept snapshots";
  EXPECT_TRUE(fs.exists(segment_path(listing.snapshots[1].covered.segment)));
  LedgerHarness restarted(fs, small_segment_bytes);
  ASSERT_TRUE(restarted.recovery().status.ok()) << restarted.recovery().status.message();
  EXPECT_EQ(restarted.recovery().snapshot, listing.snapshots[0].path);
  EXPECT_EQ(restarted.recovery().wal_records, 0u);
  EXPECT_EQ(fingerprint(restarted.ledger(), model), expected_fingerprint(model));
}

// After a restart the writer appends to the covered segment, after the covered offset: those records are only
// in the WAL, so that segment must survive pruning as long as the snapshot covering part of it is kept.
TEST(Snapshot, PruneKeepsTheSegmentTheWriterAppendedToAfterTheOlderSnapshot) {
  FaultyFileSystem fs;
  Model model;
  wal::WalPosition a, b;
  {
    LedgerHarness h(fs, small_segment_bytes);
    drive(h, model, 1, 120);
    // End early in a segment, so what the restarted writer appends next lands in the covered segment.
    for (unsigned k = 0; h.wal().position().offset > small_segment_bytes / 2 && k < 200; ++k)
      drive(h, model, 500 + k, 1);
    a = stop_and_end(h);
  }
  ASSERT_EQ(snapshot::build_snapshot(fs, data_dir, a).outcome, BuildResult::Outcome::built);
  {
    LedgerHarness h(fs, small_segment_bytes);  // appends to segment a.segment after a.offset
    ASSERT_TRUE(h.recovery().status.ok()) << h.recovery().status.message();
    EXPECT_EQ(h.recovery().snapshot, snapshot_path(a));
    drive(h, model, 2, 5);
    EXPECT_EQ(h.wal().position().segment, a.segment) << "the next records went into the covered segment";
    drive(h, model, 3, 200);
    b = stop_and_end(h);
  }
  ASSERT_EQ(snapshot::build_snapshot(fs, data_dir, b).outcome, BuildResult::Outcome::built);
  const snapshot::PruneResult pruned = snapshot::prune(fs, data_dir);
  ASSERT_TRUE(pruned.status.ok()) << pruned.status.message();
  EXPECT_EQ(pruned.kept.size(), 2u);
  EXPECT_EQ(pruned.wal_segments_removed, a.segment - 1);
  for (std::uint64_t s = 1; s <= b.segment; ++s) EXPECT_EQ(fs.exists(segment_path(s)), s >= a.segment) << s;
  // The newest is lost: the older one plus the WAL after it (including the appended part) still has it all.
  ASSERT_TRUE(fs.flip_bit(snapshot_path(b), snapshot::header_bytes + 40));
  RestoredLedger restored(fs, true);
  ASSERT_TRUE(restored.report().status.ok()) << restored.report().status.message();
  EXPECT_EQ(restored.report().snapshot, snapshot_path(a));
  ASSERT_EQ(restored.report().warnings.size(), 1u);
  EXPECT_NE(restored.report().warnings[0].find(snapshot::snapshot_file_name(b)), std::string::npos);
  EXPECT_EQ(fingerprint(restored.ledger(), model), expected_fingerprint(model));
}

TEST(Snapshot, PruneRemovesOlderSnapshotsAndLeftoversButNeverWithOnlyOneValid) {
  FaultyFileSystem fs;
  Model model;
  std::vector<wal::WalPosition> at;
  {
    LedgerHarness h(fs, small_segment_bytes);
    for (int round = 0; round < 3; ++round) {
      drive(h, model, 10 + round, 120);
      at.push_back(closed_end(fs, h.wal().position()));
      ASSERT_EQ(snapshot::build_snapshot(fs, data_dir, at.back()).outcome, BuildResult::Outcome::built);
      if (round == 0) {
        fs.write_file(snapshot_path(at[0]) + ".tmp", "half a snapshot");
        const snapshot::PruneResult one = snapshot::prune(fs, data_dir);
        EXPECT_TRUE(one.status.ok());
        EXPECT_EQ(one.wal_segments_removed, 0u) << "one valid snapshot: no fallback, the WAL stays whole";
        EXPECT_EQ(one.temps_removed, 1u);
      }
    }
    stop_and_end(h);
  }
  const snapshot::PruneResult pruned = snapshot::prune(fs, data_dir);
  ASSERT_TRUE(pruned.status.ok()) << pruned.status.message();
  EXPECT_EQ(pruned.snapshots_removed, 1u);
  EXPECT_FALSE(fs.exists(snapshot_path(at[0])));
  EXPECT_TRUE(fs.exists(snapshot_path(at[1])));
  EXPECT_FALSE(fs.exists(segment_path(at[1].segment - 1)));
  EXPECT_TRUE(fs.exists(segment_path(at[1].segment)));
  LedgerHarness restarted(fs, small_segment_bytes);
  ASSERT_TRUE(restarted.recovery().status.ok()) << restarted.recovery().status.message();
  EXPECT_EQ(fingerprint(restarted.ledger(), model), expected_fingerprint(model));
}

}  // namespace
