// The ledger through its actors: never negative at any date, exactly once by uid, users and idempotency keys,
// concurrency (one actor serialises a user), and what a failed WAL write must leave behind: nothing.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <future>
#include <random>
#include <thread>
#include <vector>

#include "actors/idle_sweep.hpp"
#include "actors/slot_name.hpp"
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

// A slot keeps a name in 16 bytes: inline up to 15, on the heap beyond; every length reads back exactly, also
// after the name is replaced by one of the other kind.
TEST(SlotName, KeepsNamesOfEveryLengthExactly) {
  for (std::size_t length : {0, 1, 14, 15, 16, 17, 100, 800}) {
    std::string name;
    for (std::size_t k = 0; k < length; ++k) name += static_cast<char>('a' + k % 26);
    tally::SlotName kept;
    kept = name;
    EXPECT_EQ(kept.view(), name) << length;
    kept = std::string(40, 'x');
    EXPECT_EQ(kept.view(), std::string(40, 'x'));
    kept = name;
    EXPECT_EQ(kept.view(), name) << length;
  }
}

TEST(LedgerService, CreatesUsersWithIncreasingIds) {
  FaultyFileSystem fs;
  LedgerHarness h(fs);
  const UserResult a = h.create_user("alice");
  const UserResult b = h.create_user("bob");
  ASSERT_EQ(a.outcome, Outcome::applied);
  ASSERT_EQ(b.outcome, Outcome::applied);
  EXPECT_EQ(a.user.id, 1u);
  EXPECT_EQ(b.user.id, 2u);
  ASSERT_TRUE(h.ledger().find_user(2).has_value());
  EXPECT_EQ(h.ledger().find_user(2)->name, "bob");
  EXPECT_FALSE(h.ledger().find_user(3).has_value());
}

// A user's created_at is the ledger's clock (the WAL keeps it), and now() is that clock too.
TEST(LedgerService, CreatedAtComesFromTheLedgerClock) {
  FaultyFileSystem fs;
  ManualClock clock(jan1 + 42);
  std::vector<UserCreated> logged;
  {
    LedgerHarness h(fs, 0, limits::actor_idle_ms_default, clock);
    EXPECT_EQ(h.ledger().now(), jan1 + 42);
    ASSERT_EQ(h.create_user("first").outcome, Outcome::applied);
    clock.set(jan1 + day);
    EXPECT_EQ(h.ledger().now(), jan1 + day);
    ASSERT_EQ(h.create_user("second", "key").outcome, Outcome::applied);
    h.shutdown();
  }
  const wal::WalScan scan = wal::scan_wal(fs, LedgerHarness::data_dir().wal(), [&](std::string_view payload) {
    const std::optional<wal::Record> record = wal::decode(payload);
    if (record && std::holds_alternative<UserCreated>(*record)) logged.push_back(std::get<UserCreated>(*record));
    return record.has_value();
  });
  ASSERT_TRUE(scan.status.ok()) << scan.status.message();
  ASSERT_EQ(logged.size(), 2u);
  EXPECT_EQ(logged[0].name, "first");
  EXPECT_EQ(logged[0].created_at, jan1 + 42);
  EXPECT_EQ(logged[1].name, "second");
  EXPECT_EQ(logged[1].created_at, jan1 + day);
}

TEST(LedgerService, IdempotencyKeyReturnsTheSameUserOrConflicts) {
  FaultyFileSystem fs;
  LedgerHarness h(fs);
  const UserResult first = h.create_user("carol", "key-1");
  const UserResult again = h.create_user("carol", "key-1");
  const UserResult other = h.create_user("dave", "key-1");
  EXPECT_EQ(first.outcome, Outcome::applied);
  EXPECT_EQ(again.outcome, Outcome::replayed);
  EXPECT_EQ(again.user.id, first.user.id);
  EXPECT_EQ(other.outcome, Outcome::conflict);
  EXPECT_EQ(other.user.name, "carol");
  EXPECT_EQ(h.ledger().user_count(), 1u);
}

TEST(LedgerService, NeverNegativeAtAnyDate) {
  FaultyFileSystem fs;
  LedgerHarness h(fs);
  const UserId u = h.create_user("erin").user.id;
  EXPECT_EQ(h.apply(make_tx("d1", u, TxKind::deposit, 10000, jan1 + 10 * day)).outcome, Outcome::applied);
  EXPECT_EQ(h.apply(make_tx("w1", u, TxKind::withdraw, 10000, jan1 + 20 * day)).outcome, Outcome::applied);
  // Backdated deposit: always fine.
  EXPECT_EQ(h.apply(make_tx("d2", u, TxKind::deposit, 5000, jan1 + 5 * day)).outcome, Outcome::applied);
  // 30.00 on day 6 leaves 20 on day 6, 120 on day 10, 20 on day 20: fine.
  EXPECT_EQ(h.apply(make_tx("w2", u, TxKind::withdraw, 3000, jan1 + 6 * day)).outcome, Outcome::applied);
  // Day 7 holds 20.00, so 20.01 then would go negative (and stay negative on day 20).
  EXPECT_EQ(h.apply(make_tx("w3", u, TxKind::withdraw, 2001, jan1 + 7 * day)).outcome, Outcome::insufficient_funds);
  // Before any money arrived.
  EXPECT_EQ(h.apply(make_tx("w4", u, TxKind::withdraw, 1, jan1 + 4 * day)).outcome, Outcome::insufficient_funds);
  // Fits at its own instant (day 15 holds 120.00) but day 20 would hold 20.00 - 50.00: refused. Judging the
  // withdrawal's own moment alone would accept it.
  ASSERT_EQ(h.balance_at(u, jan1 + 15 * day), 12000);
  EXPECT_EQ(h.apply(make_tx("w6", u, TxKind::withdraw, 5000, jan1 + 15 * day)).outcome,
            Outcome::insufficient_funds);
  // One cent over the later floor: after day 10 nothing may take more than day 20's 20.00.
  EXPECT_EQ(h.apply(make_tx("w7", u, TxKind::withdraw, 2001, jan1 + 11 * day)).outcome,
            Outcome::insufficient_funds);
  EXPECT_EQ(h.apply(make_tx("w5", u, TxKind::withdraw, 2000, jan1 + 30 * day)).outcome, Outcome::applied);
  EXPECT_EQ(h.balance(u), 0);
  EXPECT_EQ(h.balance_at(u, jan1 + 5 * day), 5000);
  EXPECT_EQ(h.balance_at(u, jan1 + 6 * day), 2000);
  EXPECT_EQ(h.balance_at(u, jan1 + 10 * day), 12000);
  EXPECT_EQ(h.balance_at(u, jan1 + 20 * day), 2000);
  EXPECT_EQ(h.balance_at(u, jan1 + 20 * day - 1), 12000);
  EXPECT_EQ(h.balance_at(u, jan1), 0);
  EXPECT_FALSE(h.ledger().find_transaction("w3").has_value()) << "a refused transaction records nothing";
  EXPECT_FALSE(h.ledger().find_transaction("w6").has_value());
}

// The balance ceiling holds at every moment, not only at the end: a backdated deposit that would lift an earlier
// peak past balance_minor_max is refused even though the final balance would stay within it.
TEST(LedgerService, CeilingHoldsAtEveryMoment) {
  FaultyFileSystem fs;
  LedgerHarness h(fs);
  const UserId u = h.create_user("rich").user.id;
  std::vector<TransactionApplied> fill;
  for (int i = 0; i < 100; ++i)
    fill.push_back(make_tx("cap" + std::to_string(i), u, TxKind::deposit, limits::amount_minor_max, jan1 + 10 * day));
  for (const TxResult& r : h.apply_batch(fill)) ASSERT_EQ(r.outcome, Outcome::applied);
  ASSERT_EQ(h.balance(u), limits::balance_minor_max) << "100 deposits at the amount cap reach the ceiling exactly";
  ASSERT_EQ(h.apply(make_tx("dip", u, TxKind::withdraw, 1, jan1 + 20 * day)).outcome, Outcome::applied);
  // Day 10..19 hold the ceiling; from day 20 on one cent less.
  EXPECT_EQ(h.apply(make_tx("early", u, TxKind::deposit, 1, jan1 + 5 * day)).outcome, Outcome::balance_too_large);
  EXPECT_EQ(h.apply(make_tx("peak", u, TxKind::deposit, 1, jan1 + 10 * day)).outcome, Outcome::balance_too_large);
  EXPECT_EQ(h.apply(make_tx("over", u, TxKind::deposit, 2, jan1 + 25 * day)).outcome, Outcome::balance_too_large);
  EXPECT_EQ(h.apply(make_tx("late", u, TxKind::deposit, 1, jan1 + 20 * day)).outcome, Outcome::applied);
  EXPECT_EQ(h.balance(u), limits::balance_minor_max);
  EXPECT_EQ(h.balance_at(u, jan1 + 15 * day), limits::balance_minor_max);
  EXPECT_FALSE(h.ledger().find_transaction("early").has_value());
  h.shutdown();
  tally::testing::expect_restart_restores(fs, u, limits::balance_minor_max, 102);
}

TEST(LedgerService, ExactlyOnceByUid) {
  FaultyFileSystem fs;
  LedgerHarness h(fs);
  const UserId u = h.create_user("frank").user.id;
  const UserId v = h.create_user("gina").user.id;
  TransactionApplied deposit = make_tx("uid-1", u, TxKind::deposit, 2500, jan1);
  ASSERT_EQ(h.apply(deposit).outcome, Outcome::applied);
  const TxResult retry = h.apply(deposit);
  EXPECT_EQ(retry.outcome, Outcome::replayed);
  EXPECT_EQ(retry.record.amount, 2500);
  EXPECT_EQ(h.balance(u), 2500);

  TransactionApplied changed = deposit;
  changed.amount = 2600;
  EXPECT_EQ(h.apply(changed).outcome, Outcome::conflict);
  TransactionApplied other_user = deposit;
  other_user.user_id = v;
  const TxResult conflict = h.apply(other_user);
  EXPECT_EQ(conflict.outcome, Outcome::conflict);
  EXPECT_EQ(conflict.record.user_id, u) << "the conflict carries the existing record";
  EXPECT_EQ(h.balance(v), 0);

  // Without a client timestamp, a retry matches the original although the server clock moved on.
  TransactionApplied untimed{"uid-2", u, TxKind::withdraw, 500, jan1 + day, false, {}, 0};
  ASSERT_EQ(h.apply(untimed).outcome, Outcome::applied);
  untimed.at += day;
  const TxResult untimed_retry = h.apply(untimed);
  EXPECT_EQ(untimed_retry.outcome, Outcome::replayed);
  EXPECT_EQ(untimed_retry.record.at, jan1 + day);
  EXPECT_EQ(h.balance(u), 2000);
}

// A retry must repeat the client timestamp too: the same uid, user, type and amount at another instant is other
// content (409 with the stored record), alone or in a batch, before and after a restart; and a retry that adds or
// drops the timestamp is other content as well.
TEST(LedgerService, RetryThatChangesOnlyTheTimestampConflicts) {
  FaultyFileSystem fs;
  const TransactionApplied original = make_tx("timed", 1, TxKind::deposit, 700, jan1 + 3 * day);
  auto expect_conflicts = [&](LedgerHarness& h) {
    for (const UtcMicros at : {original.at + 1, original.at - 1, original.at + day, UtcMicros{0}}) {
      TransactionApplied moved = original;
      moved.at = at;
      const TxResult r = h.apply(moved);
      EXPECT_EQ(r.outcome, Outcome::conflict) << "timestamp moved by " << at - original.at << " us";
      EXPECT_EQ(r.record.at, original.at) << "the 409 carries the stored record";
      const std::vector<TxResult> in_batch = h.apply_batch({moved});
      ASSERT_EQ(in_batch.size(), 1u);
      EXPECT_EQ(in_batch[0].outcome, Outcome::conflict);
    }
    TransactionApplied untimed = original;
    untimed.timestamp_given = false;
    EXPECT_EQ(h.apply(untimed).outcome, Outcome::conflict) << "a retry without the timestamp is other content";
    EXPECT_EQ(h.apply(original).outcome, Outcome::replayed);
    EXPECT_EQ(h.balance(1), 700);
    EXPECT_EQ(h.balance_at(1, original.at - 1), 0);
    EXPECT_EQ(h.ledger().transaction_count(), 1u);
  };
  {
    LedgerHarness h(fs);
    ASSERT_EQ(h.create_user("tim").user.id, 1u);
    ASSERT_EQ(h.apply(original).outcome, Outcome::applied);
    expect_conflicts(h);
  }
  LedgerHarness restarted(fs);
  ASSERT_TRUE(restarted.recovery().status.ok()) << restarted.recovery().status.message();
  expect_conflicts(restarted);
}

TEST(LedgerService, RefusedUidCanBeRetriedAndUnknownUserRecordsNothing) {
  FaultyFileSystem fs;
  LedgerHarness h(fs);
  const UserId u = h.create_user("hank").user.id;
  const TransactionApplied withdraw = make_tx("w", u, TxKind::withdraw, 100, jan1 + day);
  EXPECT_EQ(h.apply(withdraw).outcome, Outcome::insufficient_funds);
  EXPECT_EQ(h.apply(make_tx("nobody", 999, TxKind::deposit, 100, jan1)).outcome, Outcome::user_not_found);
  EXPECT_FALSE(h.ledger().find_transaction("nobody").has_value());
  ASSERT_EQ(h.apply(make_tx("d", u, TxKind::deposit, 100, jan1)).outcome, Outcome::applied);
  EXPECT_EQ(h.apply(withdraw).outcome, Outcome::applied);
  EXPECT_EQ(h.balance(u), 0);
}

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

TEST(LedgerService, ConcurrentWithdrawalsNeverOverdraw) {
  FaultyFileSystem fs;
  fs.set_sync_delay(std::chrono::microseconds(100));
  LedgerHarness h(fs);
  const UserId u = h.create_user("ivy").user.id;
  ASSERT_EQ(h.apply(make_tx("fund", u, TxKind::deposit, 10000, jan1)).outcome, Outcome::applied);
  std::atomic<int> applied{0}, refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::future<Outcome>> replies;
      for (int i = 0; i < 50; ++i) {
        auto promise = std::make_shared<std::promise<Outcome>>();
        replies.push_back(promise->get_future());
        h.ledger().apply(make_tx("w-" + std::to_string(t) + "-" + std::to_string(i), u, TxKind::withdraw, 100,
                                 jan1 + day),
                         [promise](const TxResult& r) { promise->set_value(r.outcome); });
      }
      for (auto& reply : replies) {
        const Outcome outcome = reply.get();
        if (outcome == Outcome::applied) ++applied;
        if (outcome == Outcome::insufficient_funds) ++refused;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(applied.load(), 100);
  EXPECT_EQ(refused.load(), 200);
  EXPECT_EQ(h.balance(u), 0);
  EXPECT_LT(h.wal().stats().syncs, h.wal().stats().records) << "group commit shares fsyncs";
}

TEST(LedgerService, ConcurrentDuplicatesApplyOnce) {
  FaultyFileSystem fs;
  fs.set_sync_delay(std::chrono::microseconds(200));
  LedgerHarness h(fs);
  const UserId u = h.create_user("jack").user.id;
  std::vector<std::future<TxResult>> replies;
  for (int i = 0; i < 40; ++i) {
    auto promise = std::make_shared<std::promise<TxResult>>();
    replies.push_back(promise->get_future());
    h.ledger().apply(make_tx("same", u, TxKind::deposit, 700, jan1),
                     [promise](const TxResult& r) { promise->set_value(r); });
  }
  int applied = 0;
  for (auto& reply : replies) {
    const TxResult r = reply.get();
    ASSERT_TRUE(r.outcome == Outcome::applied || r.outcome == Outcome::replayed);
    EXPECT_EQ(r.record.amount, 700);
    applied += r.outcome == Outcome::applied;
  }
  EXPECT_EQ(applied, 1);
  EXPECT_EQ(h.balance(u), 700);
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

TEST(LedgerService, BatchAnswersEachItemInOrderAsAlone) {
  FaultyFileSystem fs;
  LedgerHarness h(fs);
  const UserId a = h.create_user("ann").user.id;
  const UserId b = h.create_user("bob").user.id;
  ASSERT_EQ(h.apply(make_tx("old", b, TxKind::deposit, 300, jan1)).outcome, Outcome::applied);
  const std::vector<TransactionApplied> batch = {
      make_tx("a1", a, TxKind::deposit, 1000, jan1),
      make_tx("b1", b, TxKind::withdraw, 500, jan1 + day),    // more than b has
      make_tx("a2", a, TxKind::withdraw, 1000, jan1 + day),   // after a1 in batch order: allowed
      make_tx("old", b, TxKind::deposit, 300, jan1),          // identical retry of a durable uid
      make_tx("old", b, TxKind::deposit, 301, jan1),          // the same uid, other content
      make_tx("x1", 9999, TxKind::deposit, 1, jan1),          // no such user
      make_tx("a1", a, TxKind::deposit, 1000, jan1),          // repeated inside the batch
  };
  const std::vector<TxResult> results = h.apply_batch(batch);
  ASSERT_EQ(results.size(), batch.size());
  EXPECT_EQ(results[0].outcome, Outcome::applied);
  EXPECT_EQ(results[1].outcome, Outcome::insufficient_funds);
  EXPECT_EQ(results[2].outcome, Outcome::applied);
  EXPECT_EQ(results[3].outcome, Outcome::replayed);
  EXPECT_EQ(results[4].outcome, Outcome::conflict);
  EXPECT_EQ(results[4].record.amount, 300);
  EXPECT_EQ(results[5].outcome, Outcome::user_not_found);
  EXPECT_EQ(results[6].outcome, Outcome::replayed);
  EXPECT_EQ(h.balance(a), 0);
  EXPECT_EQ(h.balance(b), 300);
  EXPECT_EQ(h.balance_at(a, jan1), 1000);
  EXPECT_FALSE(h.ledger().find_transaction("b1").has_value());
  EXPECT_EQ(h.ledger().transaction_count(), 3u);
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

TEST(LedgerService, ConcurrentBatchesNeverOverdraw) {
  FaultyFileSystem fs;
  LedgerHarness h(fs);
  const UserId u = h.create_user("dee").user.id;
  ASSERT_EQ(h.apply(make_tx("fund", u, TxKind::deposit, 100, jan1)).outcome, Outcome::applied);
  std::atomic<int> applied{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&h, &applied, u, t]() {
      std::vector<TransactionApplied> batch;
      for (int i = 0; i < 40; ++i)
        batch.push_back(make_tx("w" + std::to_string(t) + "-" + std::to_string(i), u, TxKind::withdraw, 1,
                                jan1 + day));
      for (const TxResult& r : h.apply_batch(batch))
        if (r.outcome == Outcome::applied) ++applied;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(applied.load(), 100);
  EXPECT_EQ(h.balance(u), 0);
}

TEST(LedgerService, IdleActorsPassivateAndComeBackWithTheirHistory) {
  FaultyFileSystem fs;
  LedgerHarness h(fs, 0, /*idle_actor_ms=*/20);
  std::vector<UserId> users;
  for (int i = 0; i < 20; ++i) users.push_back(h.create_user("p" + std::to_string(i)).user.id);
  for (UserId u : users) {
    ASSERT_EQ(h.apply(make_tx("d" + std::to_string(u), u, TxKind::deposit, 500, jan1)).outcome, Outcome::applied);
    ASSERT_EQ(h.apply(make_tx("w" + std::to_string(u), u, TxKind::withdraw, 200, jan1 + day)).outcome,
              Outcome::applied);
  }
  // No "all live now" check: with 20 ms of idleness allowed, an early user may already be dormant again when
  // the last write returns (slow disks, sanitizers). What is checked: every actor goes dormant (waited on, bounded
  // generously), and then each user, touched by nothing else in between, comes back from its dormant ledger.
  EXPECT_LE(h.ledger().live_actors(), users.size());
  for (int waited_ms = 0; h.ledger().live_actors() > 0 && waited_ms < 60'000; waited_ms += 10)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(h.ledger().live_actors(), 0u) << "idle actors should have handed their ledgers back";
  for (UserId u : users) {
    // A new actor starts from the dormant ledger: the history and the never-negative rule are intact.
    EXPECT_EQ(h.balance_at(u, jan1), 500);
    EXPECT_EQ(h.apply(make_tx("x" + std::to_string(u), u, TxKind::withdraw, 400, jan1 + 2 * day)).outcome,
              Outcome::insufficient_funds);
    EXPECT_EQ(h.apply(make_tx("y" + std::to_string(u), u, TxKind::withdraw, 500, jan1)).outcome,
              Outcome::insufficient_funds) << "a backdated withdrawal would make a later moment negative";
    EXPECT_EQ(h.balance(u), 300);
  }
}

TEST(LedgerService, PassivationUnderConstantTrafficLosesNothing) {
  FaultyFileSystem fs;
  LedgerHarness h(fs, 0, /*idle_actor_ms=*/1);
  const UserId u = h.create_user("busy").user.id;
  // Requests arrive while the actor keeps trying to passivate: each must be answered, each exactly once.
  std::atomic<int> applied{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&h, &applied, u, t]() {
      for (int i = 0; i < 200; ++i) {
        if (h.apply(make_tx("c" + std::to_string(t) + "-" + std::to_string(i), u, TxKind::deposit, 1, jan1 + i))
                .outcome == Outcome::applied)
          ++applied;
        if (i % 50 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(3));
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(applied.load(), 600);
  EXPECT_EQ(h.balance(u), 600);
  EXPECT_EQ(h.balance_at(u, jan1 + day), 600);
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
    if (op != tally::testing::FsOp::append || !armed.exchange(false)) return;
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

// Requests that arrive just as an actor decides it is idle: each must be answered (an actor that quits with mail
// waiting would drop it). Gaps around the 1 ms idle period make the actors try to passivate between requests
// again and again; a lost request shows as a reply that never comes (its callback destroyed unanswered), waited
// for with a generous bound, never forever.
TEST(LedgerService, PassivationRacingWithRequestsLosesNone) {
  FaultyFileSystem fs;
  LedgerHarness h(fs, 0, /*idle_actor_ms=*/1);
  std::vector<UserId> users;
  for (int i = 0; i < 4; ++i) users.push_back(h.create_user("racer" + std::to_string(i)).user.id);
  std::atomic<int> answered{0}, lost{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t]() {
      std::mt19937 rng(static_cast<unsigned>(t));
      for (int i = 0; i < 1500 && lost.load() == 0; ++i) {
        const UserId u = users[rng() % users.size()];
        auto reply = std::make_shared<std::promise<bool>>();
        std::future<bool> done = reply->get_future();
        if (rng() % 4 == 0) {
          h.ledger().apply(make_tx("r" + std::to_string(t) + "-" + std::to_string(i), u, TxKind::deposit, 1, jan1),
                           [reply](const TxResult& r) { reply->set_value(r.outcome == Outcome::applied); });
        } else {
          ASSERT_TRUE(h.ledger().balance_at(u, jan1, [reply](MinorUnits) { reply->set_value(true); }));
        }
        bool ok = false;
        try {
          ok = done.wait_for(std::chrono::seconds(10)) == std::future_status::ready && done.get();
        } catch (const std::future_error&) {  // the reply was destroyed without an answer: the message was lost
        }
        if (!ok) {
          ++lost;
          break;
        }
        ++answered;
        std::this_thread::sleep_for(std::chrono::microseconds(rng() % 1500));
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(lost.load(), 0) << "a request was lost (or refused) while its actor passivated";
  EXPECT_EQ(answered.load(), 4 * 1500);
}



// The idle sweep visits its slices in turn, each once per round: every actor is checked once per idle period and
// the checks of a million live actors are spread over the period instead of sent in one burst.
TEST(IdleSweep, VisitsEverySliceInTurn) {
  std::mutex mutex;
  std::condition_variable enough;
  std::vector<std::uint32_t> seen;
  {
    IdleSweep sweep(std::chrono::milliseconds(16), 4, [&](std::uint32_t slice, std::uint32_t slices) {
      EXPECT_EQ(slices, 4u);
      std::lock_guard<std::mutex> lock(mutex);
      seen.push_back(slice);
      enough.notify_all();
    });
    std::unique_lock<std::mutex> lock(mutex);
    ASSERT_TRUE(enough.wait_for(lock, std::chrono::seconds(30), [&] { return seen.size() >= 10; }));
  }  // the destructor stops the sweep: nothing is visited after it returns
  const std::size_t visits = seen.size();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_EQ(seen.size(), visits);
  for (std::size_t k = 0; k < visits; ++k) EXPECT_EQ(seen[k], k % 4) << "visit " << k;
}

}  // namespace

namespace {

// A period shorter than its slices in milliseconds is visited in fewer slices: each member is still visited once per
// period (a 1 ms idle period, which the passivation race tests use, must not become a 16 ms one).
TEST(IdleSweep, AShortPeriodIsNotStretched) {
  std::mutex mutex;
  std::condition_variable enough;
  std::vector<std::uint32_t> counts;
  {
    tally::IdleSweep sweep(std::chrono::milliseconds(2), 16, [&](std::uint32_t slice, std::uint32_t slices) {
      std::lock_guard<std::mutex> lock(mutex);
      counts.push_back(slices);
      EXPECT_LT(slice, slices);
      enough.notify_all();
    });
    std::unique_lock<std::mutex> lock(mutex);
    ASSERT_TRUE(enough.wait_for(lock, std::chrono::seconds(30), [&] { return counts.size() >= 3; }));
  }
  for (const std::uint32_t slices : counts) EXPECT_EQ(slices, 2u);
}

}  // namespace
