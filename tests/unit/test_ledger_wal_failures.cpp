// What a failed or refused WAL write leaves behind through the ledger's actors: nothing. A record the WAL would not
// read is refused before it is written; a full disk records nothing and the service recovers; a submission the WAL
// refuses inline is rolled back; a failed sync is fatal and acknowledges nothing; a batch on a full disk rolls back
// every item of its group; a record judged together with a failed one fails with it.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "ledger/clock.hpp"
#include "ledger/limits.hpp"
#include "ledger_harness.hpp"
#include "wal/record_codec.hpp"
#include "wal/wal_reader.hpp"

namespace {

using namespace tally;
using tally::testing::FaultyFileSystem;
using tally::testing::LedgerHarness;
using tally::testing::make_tx;
using tally::testing::day;
using tally::testing::jan1;

// The WAL's write-side check: a record its reader would refuse (here a year-0 instant, as the API once let
// through) is refused before it is written, rolled back like a failed write, and the log still restarts.
TEST(LedgerService, RecordTheWalWouldNotReadIsRefusedAndNothingIsWritten) {
  FaultyFileSystem fs;
  LedgerHarness h(fs);
  const UserId u = h.create_user("ivy").user.id;
  ASSERT_EQ(h.apply(make_tx("d", u, TxKind::deposit, 1000, jan1)).outcome, Outcome::applied);
  const UtcMicros year_zero = limits::utc_micros_min - 3'600'000'000;
  EXPECT_EQ(h.apply(make_tx("y0", u, TxKind::deposit, 100, year_zero)).outcome, Outcome::record_refused);
  EXPECT_FALSE(h.ledger().find_transaction("y0").has_value());
  EXPECT_EQ(h.balance_at(u, jan1), 1000) << "the refused entry is gone from the history";
  // In a batch the user's whole group is refused (it was judged together); other users' items are not.
  const UserId v = h.create_user("vic").user.id;
  const std::vector<TxResult> results = h.apply_batch({make_tx("b1", u, TxKind::deposit, 5, jan1),
                                                       make_tx("b2", u, TxKind::deposit, 5, year_zero),
                                                       make_tx("b3", v, TxKind::deposit, 7, jan1)});
  EXPECT_EQ(results[0].outcome, Outcome::record_refused);
  EXPECT_EQ(results[1].outcome, Outcome::record_refused);
  EXPECT_EQ(results[2].outcome, Outcome::applied);
  // A refused uid is free again: the valid record is judged anew.
  EXPECT_EQ(h.apply(make_tx("b1", u, TxKind::deposit, 5, jan1)).outcome, Outcome::applied);
  EXPECT_EQ(h.create_user("bad\x01name").outcome, Outcome::record_refused);
  EXPECT_EQ(h.balance(u), 1005);
  h.shutdown();
  tally::testing::expect_restart_restores(fs, u, 1005, 3);
}

TEST(LedgerService, FullDiskRecordsNothingAndRecovers) {
  FaultyFileSystem fs;
  LedgerHarness h(fs);
  const UserId u = h.create_user("kim").user.id;
  ASSERT_EQ(h.apply(make_tx("d1", u, TxKind::deposit, 1000, jan1)).outcome, Outcome::applied);
  fs.fail_append(1, ENOSPC, 5);  // a torn, failed write
  const TxResult failed = h.apply(make_tx("d2", u, TxKind::deposit, 500, jan1 + day));
  EXPECT_EQ(failed.outcome, Outcome::storage_full);
  EXPECT_EQ(h.balance(u), 1000);
  EXPECT_EQ(h.balance_at(u, jan1 + 2 * day), 1000) << "the rolled-back entry is gone from the history";
  EXPECT_FALSE(h.ledger().find_transaction("d2").has_value());
  // Space is back: the same uid is judged anew and succeeds.
  EXPECT_EQ(h.apply(make_tx("d2", u, TxKind::deposit, 500, jan1 + day)).outcome, Outcome::applied);
  EXPECT_EQ(h.balance(u), 1500);
  h.shutdown();
  tally::testing::expect_restart_restores(fs, u, 1500, 2);
}

// A submission the WAL refuses before queueing it (here: the writer has stopped) fails through the same path as
// a failed write: the actor rolls the entry back out of the history and answers, and the uid is free again.
TEST(LedgerService, ASubmissionTheWalRefusesInlineIsRolledBack) {
  FaultyFileSystem fs;
  LedgerHarness h(fs);
  const UserId u = h.create_user("inline").user.id;
  ASSERT_EQ(h.apply(make_tx("in-1", u, TxKind::deposit, 1000, jan1)).outcome, Outcome::applied);
  h.wal().stop();
  EXPECT_EQ(h.apply(make_tx("in-2", u, TxKind::deposit, 500, jan1 + day)).outcome, Outcome::shutting_down);
  EXPECT_EQ(h.balance(u), 1000);
  EXPECT_EQ(h.balance_at(u, jan1 + 2 * day), 1000) << "the refused entry is gone from the history";
  EXPECT_FALSE(h.ledger().find_transaction("in-2").has_value());
  // Judged against the durable 1000 only: had the refused 500 stayed, this would reach the WAL instead.
  EXPECT_EQ(h.apply(make_tx("in-3", u, TxKind::withdraw, 1500, jan1 + 3 * day)).outcome,
            Outcome::insufficient_funds);
}

TEST(LedgerService, FailedSyncIsFatalAndAcknowledgesNothing) {
  FaultyFileSystem fs;
  LedgerHarness h(fs);
  const UserId u = h.create_user("lee").user.id;
  fs.fail_sync(1, EIO);
  const TxResult failed = h.apply(make_tx("d1", u, TxKind::deposit, 1000, jan1));
  EXPECT_NE(failed.outcome, Outcome::applied);
  EXPECT_EQ(h.fatal_calls, 1);
  EXPECT_EQ(h.balance(u), 0);
  EXPECT_NE(h.apply(make_tx("d2", u, TxKind::deposit, 1000, jan1)).outcome, Outcome::applied)
      << "after a failed fsync the log accepts nothing";
}

TEST(LedgerService, BatchOnFullDiskRollsBackEveryItemOfTheGroup) {
  FaultyFileSystem fs;
  LedgerHarness h(fs);
  const UserId u = h.create_user("cy").user.id;
  ASSERT_EQ(h.apply(make_tx("seed", u, TxKind::deposit, 100, jan1)).outcome, Outcome::applied);
  std::vector<TransactionApplied> batch;
  for (int i = 0; i < 50; ++i) batch.push_back(make_tx("g" + std::to_string(i), u, TxKind::deposit, 10, jan1 + i));
  fs.fail_append(1, ENOSPC, 37);  // the group's one write fails part-way
  for (const TxResult& r : h.apply_batch(batch)) EXPECT_EQ(r.outcome, Outcome::storage_full);
  EXPECT_EQ(h.balance(u), 100);
  EXPECT_EQ(h.balance_at(u, jan1 + day), 100) << "the speculative entries are gone from the history";
  EXPECT_FALSE(h.ledger().find_transaction("g0").has_value());
  // The uids were released: the same batch succeeds once there is space, and survives a restart.
  for (const TxResult& r : h.apply_batch(batch)) EXPECT_EQ(r.outcome, Outcome::applied);
  EXPECT_EQ(h.balance(u), 600);
  h.shutdown();
  tally::testing::expect_restart_restores(fs, u, 600, 51);
}

// A withdrawal judged while a deposit was still in flight counted that deposit; when the deposit's write fails, the
// withdrawal must fail with it, even though it reaches the log after the failure was handled there. Orchestrated,
// not timed: the writer is held at the deposit's (failing) append, and the actor is held inside a balance query,
// with the withdrawal waiting behind it, until the writer has failed the deposit.
TEST(LedgerService, ARecordJudgedWithAFailedOneFailsWithIt) {
  FaultyFileSystem fs;
  LedgerHarness h(fs);
  const UserId u = h.create_user("dep").user.id;
  std::promise<void> writer_at_append, release_writer, release_actor;
  std::shared_future<void> writer_may_go = release_writer.get_future().share();
  std::shared_future<void> actor_may_go = release_actor.get_future().share();
  std::atomic<bool> armed{true};
  fs.set_hook([&](tally::testing::FsOp op, const std::string&) {
    if (op != tally::testing::FsOp::write_at || !armed.exchange(false)) return;
    writer_at_append.set_value();
    writer_may_go.wait();
  });
  fs.fail_append(1, ENOSPC);  // the deposit's write
  std::promise<TxResult> deposit_done, withdrawal_done;
  h.ledger().apply(make_tx("dep-in", u, TxKind::deposit, 10000, jan1),
                   [&](const TxResult& r) { deposit_done.set_value(r); });
  writer_at_append.get_future().wait();  // the deposit is pending in the actor and at the writer
  // A read whose answer holds the actor's turn. Sent from a thread of its own: the idle actor's turn may run on
  // the sending thread (actors/turn_here.hpp), and this one must wait until the actor is held.
  std::promise<void> actor_held;
  std::thread holder([&] {
    EXPECT_TRUE(h.ledger().balance_at(u, jan1, [&](MinorUnits) {
      actor_held.set_value();
      actor_may_go.wait();
    }));
  });
  actor_held.get_future().wait();
  h.ledger().apply(make_tx("dep-out", u, TxKind::withdraw, 10000, jan1 + day),
                   [&](const TxResult& r) { withdrawal_done.set_value(r); });
  const std::uint64_t failed_before = h.wal().stats().failed_records;
  release_writer.set_value();
  for (int waited_ms = 0; h.wal().stats().failed_records == failed_before && waited_ms < 60'000; ++waited_ms)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const bool deposit_failed = h.wal().stats().failed_records > failed_before;
  release_actor.set_value();  // the actor now judges the withdrawal, the deposit still counted as pending
  holder.join();
  ASSERT_TRUE(deposit_failed) << "the deposit's write never failed";
  EXPECT_EQ(deposit_done.get_future().get().outcome, Outcome::storage_full);
  EXPECT_NE(withdrawal_done.get_future().get().outcome, Outcome::applied)
      << "a withdrawal funded only by a failed deposit became durable";
  fs.set_hook(nullptr);
  EXPECT_EQ(h.balance(u), 0);
  EXPECT_EQ(h.balance_at(u, jan1 + 2 * day), 0);
  EXPECT_FALSE(h.ledger().find_transaction("dep-out").has_value());
  h.shutdown();
  LedgerHarness restarted(fs);
  ASSERT_TRUE(restarted.recovery().status.ok()) << restarted.recovery().status.message();
  EXPECT_EQ(restarted.balance(u), 0);
  EXPECT_EQ(restarted.recovery().transactions, 0u);
}

}  // namespace
