// Attribution: the client's name travels with every user creation and transaction through the ledger, the WAL,
// recovery and snapshots; a retry from another client is the same request and answers with the original client.
// Also ClientNames, the table that keeps each name once in memory.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "actors/client_names.hpp"
#include "ledger_harness.hpp"
#include "snapshot/snapshot_writer.hpp"
#include "snapshot_harness.hpp"

namespace tally::testing {
namespace {

TEST(ClientNames, InternsEachNameOnceAndEmptyAsZero) {
  ClientNames names;
  EXPECT_EQ(names.intern(""), 0u);
  EXPECT_EQ(names.name(0), "");
  const ClientNames::Ordinal billing = names.intern("billing");
  const ClientNames::Ordinal ads = names.intern("ads");
  EXPECT_NE(billing, 0u);
  EXPECT_NE(billing, ads);
  EXPECT_EQ(names.intern("billing"), billing);
  EXPECT_EQ(names.name(billing), "billing");
  EXPECT_EQ(names.name(ads), "ads");
  // A second table numbers on its own (the per-thread memo must not leak between tables).
  ClientNames other;
  EXPECT_EQ(other.intern("ads"), 1u);
  EXPECT_EQ(names.intern("ads"), ads);
  EXPECT_EQ(other.name(other.intern("ads")), "ads");
}

TEST(ClientNames, ManyNamesFromManyThreads) {
  ClientNames names;
  std::vector<std::thread> threads;
  std::vector<std::vector<ClientNames::Ordinal>> seen(3);
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 3000; ++i) seen[t].push_back(names.intern("c" + std::to_string(i)));
    });
  }
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < 3000; ++i) {
    EXPECT_EQ(seen[0][i], seen[1][i]);
    EXPECT_EQ(seen[1][i], seen[2][i]);
    EXPECT_EQ(names.name(seen[0][i]), "c" + std::to_string(i));
  }
}

TransactionApplied from(std::string client, std::string uid, UserId user, MinorUnits amount) {
  TransactionApplied tx = make_tx(std::move(uid), user, TxKind::deposit, amount, jan1);
  tx.client = std::move(client);
  return tx;
}

TEST(Attribution, StoredAnsweredAndReplayedWithTheOriginalClient) {
  FaultyFileSystem fs;
  {
    LedgerHarness h(fs);
    const UserResult user = h.create_user("vasya", "key-1", "billing");
    ASSERT_EQ(user.outcome, Outcome::applied);
    EXPECT_EQ(user.user.client, "billing");
    EXPECT_EQ(h.ledger().find_user(user.user.id)->client, "billing");
    const UserResult again = h.create_user("vasya", "key-1", "ads");
    EXPECT_EQ(again.outcome, Outcome::replayed);
    EXPECT_EQ(again.user.client, "billing") << "a retry answers with the original client";
    EXPECT_EQ(h.create_user("open").user.client, "");

    const TxResult tx = h.apply(from("billing", "t-1", 1, 500));
    ASSERT_EQ(tx.outcome, Outcome::applied);
    EXPECT_EQ(tx.record.client, "billing");
    const TxResult retry = h.apply(from("ads", "t-1", 1, 500));
    EXPECT_EQ(retry.outcome, Outcome::replayed) << "client is not part of the request's content";
    EXPECT_EQ(retry.record.client, "billing");
    EXPECT_EQ(h.apply(from("ads", "t-1", 1, 501)).outcome, Outcome::conflict);
    const std::vector<TxResult> batch = h.apply_batch({from("ads", "b-1", 1, 1), from("ads", "t-1", 1, 500)});
    EXPECT_EQ(batch[0].record.client, "ads");
    EXPECT_EQ(batch[1].outcome, Outcome::replayed);
    EXPECT_EQ(batch[1].record.client, "billing");
    EXPECT_EQ(h.apply(from("", "t-open", 1, 1)).record.client, "");
    EXPECT_EQ(h.ledger().find_transaction("t-1")->client, "billing");
  }
  // Recovery from the WAL alone.
  LedgerHarness restarted(fs);
  ASSERT_TRUE(restarted.recovery().status.ok()) << restarted.recovery().status.message();
  EXPECT_EQ(restarted.ledger().find_user(1)->client, "billing");
  EXPECT_EQ(restarted.ledger().find_user(2)->client, "");
  EXPECT_EQ(restarted.ledger().find_transaction("t-1")->client, "billing");
  EXPECT_EQ(restarted.ledger().find_transaction("b-1")->client, "ads");
  EXPECT_EQ(restarted.ledger().find_transaction("t-open")->client, "");
  EXPECT_EQ(restarted.apply(from("ads", "t-1", 1, 500)).record.client, "billing");
}

TEST(Attribution, KeptBySnapshots) {
  FaultyFileSystem fs;
  wal::WalPosition end;
  {
    LedgerHarness h(fs);
    ASSERT_EQ(h.create_user("vasya", "", "billing").outcome, Outcome::applied);
    for (int i = 0; i < 50; ++i) {
      ASSERT_EQ(h.apply(from(i % 2 ? "billing" : "ads", "s-" + std::to_string(i), 1, 10)).outcome, Outcome::applied);
    }
    end = stop_and_end(h);
  }
  const snapshot::BuildResult built = snapshot::build_snapshot(fs, data_dir, end);
  ASSERT_EQ(built.outcome, snapshot::BuildResult::Outcome::built) << built.status.message();
  RestoredLedger restored(fs, true);
  ASSERT_TRUE(restored.report().status.ok()) << restored.report().status.message();
  EXPECT_EQ(restored.report().snapshot, built.path);
  EXPECT_EQ(restored.report().wal_records, 0u) << "everything came from the snapshot";
  EXPECT_EQ(restored.ledger().find_user(1)->client, "billing");
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(restored.ledger().find_transaction("s-" + std::to_string(i))->client, i % 2 ? "billing" : "ads");
  }
}

}  // namespace
}  // namespace tally::testing
