// Snapshots under damage and faults: a damaged or truncated newest snapshot falls back to the previous one, a
// crash or a failed sync or ENOSPC during a build leaves the old state and no half snapshot, damage is refused.
#include <gtest/gtest.h>

#include <atomic>

#include "snapshot/retention.hpp"
#include "snapshot/snapshot_reader.hpp"
#include "snapshot/snapshot_writer.hpp"
#include "snapshot/snapshotter.hpp"
#include "snapshot_harness.hpp"

namespace {

using namespace tally;
using namespace tally::testing;
using snapshot::BuildResult;

std::map<std::string, std::string> all_files(const FaultyFileSystem& fs) {
  std::map<std::string, std::string> files;
  for (const std::string& path : fs.file_paths()) files[path] = fs.contents(path);
  return files;
}

// Two snapshots (older at `older`, newest at `newest`) and WAL after both; the model of everything.
struct TwoSnapshots {
  FaultyFileSystem fs;
  Model model;
  wal::WalPosition older, newest;
  TwoSnapshots() {
    LedgerHarness h(fs, small_segment_bytes);
    drive(h, model, 1, 150);
    older = closed_end(fs, h.wal().position());
    EXPECT_EQ(snapshot::build_snapshot(fs, data_dir, older).outcome, BuildResult::Outcome::built);
    drive(h, model, 2, 150);
    newest = closed_end(fs, h.wal().position());
    EXPECT_EQ(snapshot::build_snapshot(fs, data_dir, newest).outcome, BuildResult::Outcome::built);
    drive(h, model, 3, 60);
  }
};

// Both ways of restoring: validating every snapshot first (tally-admin), and validating by the restore (tallyd).
TEST(SnapshotFaults, DamagedNewestFallsBackToThePreviousWithTheSameState) {
  for (const bool while_validating : {false, true}) {
    SCOPED_TRACE(while_validating ? "restored while validated" : "validated first");
    TwoSnapshots t;
    const std::string newest = snapshot_path(t.newest), original = t.fs.contents(newest);
    for (const std::uint64_t offset : {std::uint64_t{3}, std::uint64_t{snapshot::header_bytes + 2},
                                       std::uint64_t{original.size() / 2}, std::uint64_t{original.size() - 1}}) {
      ASSERT_TRUE(t.fs.flip_bit(newest, offset, 5));
      const snapshot::SnapshotRead read = snapshot::validate_snapshot(t.fs, newest);
      EXPECT_FALSE(read.status.ok()) << "bit flipped at " << offset;
      EXPECT_NE(read.status.message().find(" at byte "), std::string::npos) << read.status.message();
      RestoredLedger restored(t.fs, true, true, while_validating);
      ASSERT_TRUE(restored.report().status.ok()) << restored.report().status.message();
      EXPECT_EQ(restored.report().snapshot, snapshot_path(t.older));
      ASSERT_EQ(restored.report().warnings.size(), 1u);
      EXPECT_NE(restored.report().warnings[0].find(snapshot::snapshot_file_name(t.newest)), std::string::npos);
      EXPECT_EQ(restored.records_at_start_overs().size(), while_validating ? 1u : 0u);
      EXPECT_EQ(fingerprint(restored.ledger(), t.model), expected_fingerprint(t.model));
      t.fs.write_file(newest, original);
    }
    // Both damaged: the WAL from segment 1 is still complete (nothing was pruned), so a full replay works.
    ASSERT_TRUE(t.fs.flip_bit(newest, original.size() / 2));
    ASSERT_TRUE(t.fs.flip_bit(snapshot_path(t.older), snapshot::header_bytes + 30));
    RestoredLedger restored(t.fs, true, true, while_validating);
    ASSERT_TRUE(restored.report().status.ok()) << restored.report().status.message();
    EXPECT_TRUE(restored.report().snapshot.empty());
    EXPECT_EQ(restored.report().warnings.size(), 2u);
    EXPECT_EQ(fingerprint(restored.ledger(), t.model), expected_fingerprint(t.model));
  }
}

// tallyd's mode: the newest snapshot is restored by the read that validates it. Damage found only at its end
// (the footer's CRC, a cut file) comes after every record was restored: that ledger is thrown away (start_over)
// and recovery goes on from the previous snapshot, to the same state as validating first.
TEST(SnapshotFaults, RestoringWhileValidatingStartsOverWhenTheNewestProvesInvalid) {
  TwoSnapshots t;
  const std::string newest = snapshot_path(t.newest), original = t.fs.contents(newest);
  const snapshot::SnapshotRead whole = snapshot::validate_snapshot(t.fs, newest);
  ASSERT_TRUE(whole.status.ok());
  const std::string cut = original.substr(0, original.size() - 40);
  std::string flipped = original;
  flipped.back() = static_cast<char>(flipped.back() ^ 0x10);
  t.fs.write_file(newest, flipped);
  EXPECT_FALSE(snapshot::footer_transactions(t.fs, newest).has_value()) << "a footer with a bad CRC says nothing";
  for (const std::string& damaged : {flipped, cut}) {
    t.fs.write_file(newest, damaged);
    RestoredLedger restored(t.fs, true, true, true);
    ASSERT_TRUE(restored.report().status.ok()) << restored.report().status.message();
    EXPECT_EQ(restored.report().snapshot, snapshot_path(t.older));
    ASSERT_EQ(restored.records_at_start_overs(), std::vector<std::uint64_t>{whole.records})
        << "every record of the newest was restored before its end proved it invalid";
    ASSERT_EQ(restored.report().warnings.size(), 1u);
    EXPECT_NE(restored.report().warnings[0].find(snapshot::snapshot_file_name(t.newest)), std::string::npos);
    EXPECT_NE(restored.report().warnings[0].find("found while restoring it"), std::string::npos);
    EXPECT_EQ(fingerprint(restored.ledger(), t.model), expected_fingerprint(t.model));
  }
  // Both invalid: two start overs, then the WAL alone from segment 1.
  t.fs.write_file(newest, flipped);
  ASSERT_TRUE(t.fs.flip_bit(snapshot_path(t.older), t.fs.contents(snapshot_path(t.older)).size() - 1));
  RestoredLedger restored(t.fs, true, true, true);
  ASSERT_TRUE(restored.report().status.ok()) << restored.report().status.message();
  EXPECT_TRUE(restored.report().snapshot.empty());
  EXPECT_EQ(restored.records_at_start_overs().size(), 2u);
  EXPECT_EQ(restored.report().warnings.size(), 2u);
  EXPECT_EQ(fingerprint(restored.ledger(), t.model), expected_fingerprint(t.model));
}

TEST(SnapshotFaults, TruncatedOrExtendedSnapshotIsInvalidAtEveryLength) {
  TwoSnapshots t;
  const std::string newest = snapshot_path(t.newest), original = t.fs.contents(newest);
  for (const auto check : {snapshot::SnapshotCheck::frames, snapshot::SnapshotCheck::records}) {
    for (std::size_t length = 0; length < original.size(); ++length) {
      t.fs.write_file(newest, original.substr(0, length));
      const snapshot::SnapshotRead read = snapshot::validate_snapshot(t.fs, newest, check);
      ASSERT_FALSE(read.status.ok()) << "accepted a snapshot cut to " << length << " of " << original.size() << " bytes";
    }
    t.fs.write_file(newest, original + std::string(8, '\0'));
    EXPECT_FALSE(snapshot::validate_snapshot(t.fs, newest, check).status.ok()) << "bytes after the footer";
    t.fs.write_file(newest, original);
    EXPECT_TRUE(snapshot::validate_snapshot(t.fs, newest, check).status.ok());
  }
  t.fs.write_file(newest, original.substr(0, original.size() - 40));
  RestoredLedger restored(t.fs, true);
  ASSERT_TRUE(restored.report().status.ok()) << restored.report().status.message();
  EXPECT_EQ(restored.report().snapshot, snapshot_path(t.older));
  EXPECT_EQ(fingerprint(restored.ledger(), t.model), expected_fingerprint(t.model));
}

TEST(SnapshotFaults, CrashDuringCreationLeavesTheOldStateAndNoHalfSnapshot) {
  {
    for (const FsOp crash_at : {FsOp::sync_data, FsOp::rename, FsOp::sync_dir}) {
      TwoSnapshots t;
      wal::WalPosition end;
      {
        LedgerHarness h(t.fs, small_segment_bytes);
        drive(h, t.model, 4, 40);
        end = stop_and_end(h);
      }
      bool crashed = false;
      t.fs.set_hook([&](FsOp op, const std::string& path) {
        const bool ours = path.find(snapshot::snapshot_file_name(end)) != std::string::npos || path == snap_dir;
        if (op == crash_at && ours && !crashed) {
          crashed = true;
          t.fs.crash(1000);  // power loss: unsynced bytes and undurable names are gone
        }
      });
      const BuildResult r = snapshot::build_snapshot(t.fs, data_dir, end);
      t.fs.set_hook(nullptr);
      ASSERT_TRUE(crashed);
      EXPECT_EQ(r.outcome, BuildResult::Outcome::failed);
      t.fs.restart();
      EXPECT_FALSE(t.fs.exists(snapshot_path(end)));
      EXPECT_FALSE(t.fs.exists(snapshot_path(end) + ".tmp"));
      // A leftover .tmp that did survive, and a half snapshot under a final name, are never used.
      t.fs.write_file(snapshot_path(end) + ".tmp", t.fs.contents(snapshot_path(t.newest)));
      const std::string half = t.fs.contents(snapshot_path(t.newest));
      t.fs.write_file(snapshot_path(wal::WalPosition{end.segment, end.offset - 8}), half.substr(0, half.size() / 2));
      LedgerHarness restarted(t.fs, small_segment_bytes);
      ASSERT_TRUE(restarted.recovery().status.ok()) << restarted.recovery().status.message();
      EXPECT_EQ(restarted.recovery().snapshot, snapshot_path(t.newest));
      EXPECT_EQ(fingerprint(restarted.ledger(), t.model), expected_fingerprint(t.model));
    }
  }
}

TEST(SnapshotFaults, FailedSyncOrNoSpaceIsReportedAndChangesNothing) {
  TwoSnapshots t;
  wal::WalPosition end;
  {
    LedgerHarness h(t.fs, small_segment_bytes);
    end = stop_and_end(h);
  }
  const auto before = all_files(t.fs);
  t.fs.fail_sync(1, EIO);
  BuildResult r = snapshot::build_snapshot(t.fs, data_dir, end);
  EXPECT_EQ(r.outcome, BuildResult::Outcome::failed);
  EXPECT_EQ(all_files(t.fs), before) << "no snapshot, no .tmp, nothing deleted";

  snapshot::SnapshotterOptions options;
  options.fs = &t.fs;
  options.data_dir = data_dir;
  options.wal_position = [end] { return end; };
  options.covered = t.newest;
  snapshot::Snapshotter snapshotter(options);
  std::uint64_t used = 0;
  for (const auto& [path, data] : before) used += data.size();
  t.fs.set_capacity(used + 2000);  // the new snapshot needs far more
  r = snapshotter.snapshot_through(end);
  EXPECT_EQ(r.outcome, BuildResult::Outcome::failed);
  EXPECT_NE(r.status.message().find("No space"), std::string::npos) << r.status.message();
  EXPECT_EQ(snapshotter.failures(), 1u);
  EXPECT_EQ(all_files(t.fs), before) << "WAL intact, no half snapshot, nothing pruned";
  t.fs.set_capacity(std::nullopt);  // space freed: the retry works
  r = snapshotter.snapshot_through(end);
  ASSERT_EQ(r.outcome, BuildResult::Outcome::built) << r.status.message();
  EXPECT_FALSE(t.fs.exists(snapshot_path(t.older))) << "pruned once the new one exists";
  LedgerHarness restarted(t.fs, small_segment_bytes);
  ASSERT_TRUE(restarted.recovery().status.ok()) << restarted.recovery().status.message();
  EXPECT_EQ(restarted.recovery().snapshot, r.path);
  EXPECT_EQ(fingerprint(restarted.ledger(), t.model), expected_fingerprint(t.model));
}

// The power goes while a write is in flight (appended, not yet fdatasync'ed): `torn` bytes of it survive as a
// partial record after the snapshot's WAL tail. Recovery uses the snapshot, replays the tail, cuts the torn bytes.
TEST(SnapshotFaults, RecoveryAfterACrashUsesTheSnapshotAndTheWalTail) {
  constexpr std::uint64_t record_bytes_min = 40;  // a framed transaction record is longer; a segment header is not
  for (const std::size_t torn : {0, 5, 40}) {
    SCOPED_TRACE("torn bytes kept: " + std::to_string(torn));
    FaultyFileSystem fs;
    Model model;
    std::string path;
    std::uint64_t synced = 0, unsynced = 0;
    {
      LedgerHarness h(fs, small_segment_bytes);
      drive(h, model, 1, 200);
      ASSERT_EQ(snapshot::build_snapshot(fs, data_dir, closed_end(fs, h.wal().position())).outcome,
                BuildResult::Outcome::built);
      drive(h, model, 2, 100);
      std::atomic<bool> armed{true};
      fs.set_hook([&](FsOp op, const std::string& file) {
        if (op != FsOp::sync_data) return;
        // A segment roll syncs the new segment's header first (when the record falls on a roll, which depends on
        // how earlier records were batched): wait for the sync that carries the record itself.
        if (fs.contents(file).size() - fs.synced_size(file) <= record_bytes_min) return;
        if (!armed.exchange(false)) return;
        path = file;
        synced = fs.synced_size(file);
        unsynced = fs.contents(file).size() - synced;
        fs.crash(torn);  // before this fdatasync
      });
      EXPECT_NE(h.apply(make_tx("lost", 1, TxKind::deposit, 777, jan1_2023)).outcome, Outcome::applied);
      fs.set_hook(nullptr);
    }
    ASSERT_GT(unsynced, record_bytes_min) << "the crash must catch a whole unsynced record";
    fs.restart();
    EXPECT_EQ(fs.contents(path).size(), synced + torn) << "the crash kept `torn` bytes";
    LedgerHarness restarted(fs, small_segment_bytes);
    ASSERT_TRUE(restarted.recovery().status.ok()) << restarted.recovery().status.message();
    EXPECT_FALSE(restarted.recovery().snapshot.empty());
    EXPECT_GT(restarted.recovery().wal_records, 0u);
    EXPECT_EQ(restarted.recovery().torn_bytes_cut, torn);
    EXPECT_FALSE(restarted.ledger().find_transaction("lost").has_value());
    EXPECT_EQ(fingerprint(restarted.ledger(), model), expected_fingerprint(model));
  }
}

// The WAL lost its end after a final snapshot covered it (what a torn write looks like): the WAL decides
// where the log ends, the snapshot is retired so it can never be read against records appended later.
TEST(SnapshotFaults, WalShorterThanTheSnapshotFallsBackAndRetiresIt) {
  FaultyFileSystem fs;
  Model model;
  wal::WalPosition end;
  {
    LedgerHarness h(fs, small_segment_bytes);
    drive(h, model, 1, 30);
    ASSERT_EQ(h.apply(make_tx("last", 1, TxKind::deposit, 100, jan1_2023)).outcome, Outcome::applied);
    end = stop_and_end(h);
  }
  ASSERT_EQ(snapshot::build_snapshot(fs, data_dir, end).outcome, BuildResult::Outcome::built);
  ASSERT_TRUE(fs.truncate(segment_path(end.segment), end.offset - 3).ok());
  {
    RestoredLedger read_only(fs, true, true);
    EXPECT_TRUE(read_only.report().status.ok()) << read_only.report().status.message();
    EXPECT_TRUE(fs.exists(snapshot_path(end))) << "read-only renames nothing";
  }
  {
    LedgerHarness h(fs, small_segment_bytes);
    ASSERT_TRUE(h.recovery().status.ok()) << h.recovery().status.message();
    EXPECT_TRUE(h.recovery().snapshot.empty());
    EXPECT_GT(h.recovery().torn_bytes_cut, 0u);
    EXPECT_FALSE(fs.exists(snapshot_path(end)));
    EXPECT_TRUE(fs.exists(snapshot_path(end) + ".stale"));
    EXPECT_FALSE(h.ledger().find_transaction("last").has_value());
    drive(h, model, 2, 30);  // more than the cut: the log grows past the retired snapshot's position
  }
  LedgerHarness again(fs, small_segment_bytes);
  ASSERT_TRUE(again.recovery().status.ok()) << again.recovery().status.message();
  EXPECT_EQ(fingerprint(again.ledger(), model), expected_fingerprint(model));
}

TEST(SnapshotFaults, DamageInTheWalUnderASnapshotRefusesToStart) {
  for (const bool while_validating : {false, true}) {
    SCOPED_TRACE(while_validating ? "restored while validated" : "validated first");
    TwoSnapshots t;
    const std::string segment = segment_path(t.newest.segment - 1);
    const std::string before = t.fs.contents(segment);
    ASSERT_TRUE(t.fs.flip_bit(segment, before.size() / 2, 2));
    RestoredLedger restored(t.fs, true, false, while_validating);
    const std::string message = restored.report().status.message();
    ASSERT_FALSE(restored.report().status.ok());
    EXPECT_NE(message.find(wal::segment_file_name(t.newest.segment - 1)), std::string::npos) << message;
    EXPECT_NE(message.find("under snapshot"), std::string::npos) << message;
    EXPECT_NE(message.find("byte"), std::string::npos) << message;
    EXPECT_EQ(t.fs.contents(segment).size(), before.size()) << "nothing cut";
  }
}

// The check of the WAL under the newest snapshot starts while that snapshot is validated; when the snapshot
// proves damaged, that check's verdict is dropped (damage after the older snapshot's position is the replay's
// to find, as before): the start is refused by the replay, not by a check "under" the snapshot not used.
TEST(SnapshotFaults, DamagedNewestDropsTheCheckStartedForIt) {
  for (const bool while_validating : {false, true}) {
    SCOPED_TRACE(while_validating ? "restored while validated" : "validated first");
    TwoSnapshots t;
    ASSERT_GT(t.newest.segment - 1, t.older.segment) << "a whole segment between the two snapshots";
    const std::string segment = segment_path(t.newest.segment - 1);
    ASSERT_TRUE(t.fs.flip_bit(segment, t.fs.contents(segment).size() / 2, 2));
    ASSERT_TRUE(t.fs.flip_bit(snapshot_path(t.newest), t.fs.contents(snapshot_path(t.newest)).size() / 2, 5));
    RestoredLedger restored(t.fs, true, false, while_validating);
    const std::string message = restored.report().status.message();
    ASSERT_FALSE(restored.report().status.ok());
    EXPECT_NE(message.find(wal::segment_file_name(t.newest.segment - 1)), std::string::npos) << message;
    EXPECT_EQ(message.find("under snapshot"), std::string::npos) << message;
    ASSERT_EQ(restored.report().warnings.size(), 1u);
    EXPECT_NE(restored.report().warnings[0].find(snapshot::snapshot_file_name(t.newest)), std::string::npos);
  }
}

TEST(SnapshotFaults, ReadOnlyRecoveryWritesNothing) {
  TwoSnapshots t;
  wal::WalPosition end;
  {
    LedgerHarness h(t.fs, small_segment_bytes);
    drive(h, t.model, 5, 10);
    end = stop_and_end(h);
  }
  // A torn tail (cut by a normal start, not by a read-only one) and a leftover .tmp (pruned, not here).
  t.fs.write_file(segment_path(end.segment),
                  t.fs.contents(segment_path(end.segment)) + std::string("\x40\0\0\0\1\2\3\4\5\6\7\x08", 12));
  t.fs.write_file(snapshot_path(t.newest) + ".tmp", "leftover");
  const auto before = all_files(t.fs);
  RestoredLedger restored(t.fs, true, true);
  ASSERT_TRUE(restored.report().status.ok()) << restored.report().status.message();
  EXPECT_TRUE(restored.report().torn_tail);
  EXPECT_EQ(restored.report().torn_bytes, 12u);
  EXPECT_EQ(restored.report().torn_bytes_cut, 0u);
  EXPECT_EQ(all_files(t.fs), before);
  EXPECT_EQ(fingerprint(restored.ledger(), t.model), expected_fingerprint(t.model));
}

}  // namespace
