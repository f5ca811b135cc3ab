// The ledger through its actors: never negative at any date, exactly once by uid, users and idempotency keys,
// concurrency (one actor serialises a user), batches answered item by item. What a failed WAL write must leave behind
// (nothing): test_ledger_wal_failures.cpp; the actors' life (idle passivation and its races, the idle sweep, a
// slot's name): test_actor_lifecycle.cpp.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
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

}  // namespace
