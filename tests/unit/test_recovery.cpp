// Recovery: a restarted ledger equals the acknowledged one — users, balances, balances at dates, uids and
// idempotency keys — after a clean stop, after a crash that loses unsynced bytes, and never from a damaged log.
#include <gtest/gtest.h>

#include <future>
#include <map>
#include <random>

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

struct Model {
  std::map<UserId, std::string> users;
  std::map<std::string, TransactionApplied> txs;
};

// Random history over a few users, some refused, some backdated; returns what was acknowledged.
Model drive(LedgerHarness& h, unsigned seed, int steps) {
  Model model;
  std::mt19937 rng(seed);
  for (int i = 0; i < 4; ++i) {
    const UserResult r = h.create_user("user" + std::to_string(i), i % 2 ? "key" + std::to_string(i) : "");
    if (r.outcome == Outcome::applied) model.users[r.user.id] = r.user.name;
  }
  for (int i = 0; i < steps; ++i) {
    const UserId u = 1 + rng() % 4;
    const TxKind kind = rng() % 3 ? TxKind::deposit : TxKind::withdraw;
    const TxResult r = h.apply(make_tx("tx" + std::to_string(seed) + "-" + std::to_string(i), u, kind,
                                       1 + rng() % 5000, jan1 + static_cast<UtcMicros>(rng() % 60) * day));
    if (r.outcome == Outcome::applied) model.txs[r.record.uid] = r.record;
  }
  return model;
}

void expect_matches(LedgerHarness& h, const Model& model) {
  EXPECT_EQ(h.ledger().user_count(), model.users.size());
  EXPECT_EQ(h.ledger().transaction_count(), model.txs.size());
  for (const auto& [id, name] : model.users) {
    ASSERT_TRUE(h.ledger().find_user(id).has_value()) << id;
    EXPECT_EQ(h.ledger().find_user(id)->name, name);
    for (int d = -1; d <= 61; d += 7) {
      MinorUnits expected = 0, total = 0;
      for (const auto& [uid, tx] : model.txs) {
        if (tx.user_id != id) continue;
        total += tx.delta();
        if (tx.at <= jan1 + d * day) expected += tx.delta();
      }
      EXPECT_EQ(h.balance_at(id, jan1 + d * day), expected) << "user " << id << " day " << d;
      EXPECT_EQ(h.balance(id), total);
    }
  }
  for (const auto& [uid, tx] : model.txs) {
    const auto found = h.ledger().find_transaction(uid);
    ASSERT_TRUE(found.has_value()) << uid;
    EXPECT_TRUE(found->same_request_as(tx));
    EXPECT_EQ(found->at, tx.at);
  }
}

TEST(Recovery, RestartRebuildsEverything) {
  FaultyFileSystem fs;
  Model model;
  {
    LedgerHarness h(fs);
    model = drive(h, 1, 300);
  }
  LedgerHarness restarted(fs);
  ASSERT_TRUE(restarted.recovery().ok) << restarted.recovery().error;
  EXPECT_EQ(restarted.recovery().users, 4u);
  expect_matches(restarted, model);
  // Retries are still recognised; keys still map to their users; ids are never reused.
  const auto& [uid, tx] = *model.txs.begin();
  EXPECT_EQ(restarted.apply(tx).outcome, Outcome::replayed);
  EXPECT_EQ(restarted.create_user("user1", "key1").outcome, Outcome::replayed);
  EXPECT_EQ(restarted.create_user("new").user.id, 5u);
}

TEST(Recovery, ManySegments) {
  FaultyFileSystem fs;
  Model model;
  {
    LedgerHarness h(fs, 4096);
    model = drive(h, 2, 400);
  }
  LedgerHarness restarted(fs, 4096);
  ASSERT_TRUE(restarted.recovery().ok) << restarted.recovery().error;
  EXPECT_GT(restarted.recovery().segments, 3u);
  expect_matches(restarted, model);
}

TEST(Recovery, CrashKeepsExactlyTheAcknowledged) {
  for (std::size_t torn : {0, 3, 17}) {
    FaultyFileSystem fs;
    Model model;
    {
      LedgerHarness h(fs);
      model = drive(h, 3, 200);
      fs.crash(torn);  // power loss: unsynced bytes (there are none acknowledged) vanish, maybe torn
    }
    fs.restart();
    LedgerHarness restarted(fs);
    ASSERT_TRUE(restarted.recovery().ok) << restarted.recovery().error;
    expect_matches(restarted, model);
  }
}

TEST(Recovery, CorruptionInTheMiddleRefusesToStart) {
  FaultyFileSystem fs;
  {
    LedgerHarness h(fs);
    drive(h, 4, 100);
  }
  const std::string segment = std::string(LedgerHarness::wal_dir) + "/" + wal::segment_file_name(1);
  ASSERT_TRUE(fs.flip_bit(segment, 200, 3));
  LedgerHarness restarted(fs);
  ASSERT_FALSE(restarted.recovery().ok);
  EXPECT_NE(restarted.recovery().error.find(wal::segment_file_name(1)), std::string::npos)
      << restarted.recovery().error;
  EXPECT_NE(restarted.recovery().error.find("byte"), std::string::npos) << restarted.recovery().error;
}

// Replay judges every record again: a withdrawal written to the WAL without the actor's judgement, which would
// leave a negative balance, refuses the start (whichever thread of the parallel restore meets it).
TEST(Recovery, ALogThatBreaksTheBalanceRuleRefusesToStart) {
  FaultyFileSystem fs;
  {
    LedgerHarness h(fs);
    drive(h, 5, 100);
    std::promise<wal::WalStatus> written;
    h.wal().submit(*wal::encode(make_tx("forged", 1, TxKind::withdraw, 1'000'000'000'000, jan1 + 30 * day)), 0,
                   [&written](wal::WalStatus status) { written.set_value(status); });
    ASSERT_EQ(written.get_future().get(), wal::WalStatus::durable);
  }
  LedgerHarness restarted(fs);
  ASSERT_FALSE(restarted.recovery().ok);
  EXPECT_NE(restarted.recovery().error.find("transaction forged of user 1"), std::string::npos)
      << restarted.recovery().error;
}

}  // namespace
