// Recovery: a restarted ledger equals the acknowledged one — users, balances, balances at dates, uids and
// idempotency keys — after a clean stop, after a crash that loses unsynced bytes, and never from a damaged log.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <map>
#include <random>

#include "ledger_harness.hpp"
#include "record_checks.hpp"
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
    EXPECT_TRUE(tally::testing::same_record(*found, tx));
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
  ASSERT_TRUE(restarted.recovery().status.ok()) << restarted.recovery().status.message();
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
  ASSERT_TRUE(restarted.recovery().status.ok()) << restarted.recovery().status.message();
  EXPECT_GT(restarted.recovery().segments, 3u);
  expect_matches(restarted, model);
}

// Power loss in the middle of a write: its bytes were appended, its fdatasync never ran. The unsynced bytes
// vanish except `torn` of them (a partial record at the end of the log), so recovery must cut exactly those,
// keep every acknowledged record and nothing of the lost one.
TEST(Recovery, CrashKeepsExactlyTheAcknowledged) {
  const std::string segment = wal::segment_path(LedgerHarness::data_dir().wal(), 1);
  for (std::size_t torn : {0, 3, 17}) {
    SCOPED_TRACE("torn bytes kept: " + std::to_string(torn));
    FaultyFileSystem fs;
    Model model;
    std::uint64_t unsynced = 0, synced = 0;
    {
      LedgerHarness h(fs);
      model = drive(h, 3, 200);
      std::atomic<bool> armed{true};
      fs.set_hook([&](tally::testing::FsOp op, const std::string&) {
        if (op != tally::testing::FsOp::sync_data || !armed.exchange(false)) return;
        synced = fs.synced_size(segment);
        unsynced = fs.contents(segment).size() - synced;
        fs.crash(torn);  // before this fdatasync: the write in flight is lost but for `torn` bytes
      });
      const TxResult lost = h.apply(make_tx("lost", 1, TxKind::deposit, 777, jan1));
      EXPECT_NE(lost.outcome, Outcome::applied) << "a write whose fdatasync never ran is not acknowledged";
      fs.set_hook(nullptr);
    }
    ASSERT_GT(unsynced, 17u) << "the crash must catch a whole unsynced record";
    fs.restart();
    EXPECT_EQ(fs.contents(segment).size(), synced + torn) << "the crash kept `torn` bytes";
    LedgerHarness restarted(fs);
    ASSERT_TRUE(restarted.recovery().status.ok()) << restarted.recovery().status.message();
    EXPECT_EQ(restarted.recovery().torn_tail, torn > 0);
    EXPECT_EQ(restarted.recovery().torn_bytes_cut, torn);
    EXPECT_FALSE(restarted.ledger().find_transaction("lost").has_value());
    expect_matches(restarted, model);
  }
}

// A changed byte in the middle of the log, with valid records after it, refuses the start and names the place.
// The byte is a letter of a uid ('t' -> 'T'): the record still decodes into a valid transaction with another uid,
// so only the CRC can tell, and the error must say so.
TEST(Recovery, CorruptionInTheMiddleRefusesToStart) {
  FaultyFileSystem fs;
  Model model;
  {
    LedgerHarness h(fs);
    model = drive(h, 4, 100);
  }
  const std::string segment = wal::segment_path(LedgerHarness::data_dir().wal(), 1);
  const std::string log = fs.contents(segment);
  std::size_t at = std::string::npos;
  for (const auto& [uid, tx] : model.txs) {  // an acknowledged record in the first half of the log
    const std::size_t found = log.find(uid);
    if (found != std::string::npos && found < log.size() / 2 && log.find(uid, found + 1) == std::string::npos) {
      at = found;
      break;
    }
  }
  ASSERT_NE(at, std::string::npos);
  ASSERT_EQ(log[at], 't');
  ASSERT_TRUE(fs.flip_bit(segment, at, 5));  // 't' (0x74) -> 'T' (0x54)
  {
    LedgerHarness restarted(fs);
    ASSERT_FALSE(restarted.recovery().status.ok()) << "a changed record was accepted";
    const std::string& error = restarted.recovery().status.message();
    EXPECT_NE(error.find(wal::segment_file_name(1)), std::string::npos) << error;
    EXPECT_NE(error.find("byte"), std::string::npos) << error;
    EXPECT_NE(error.find("bad CRC"), std::string::npos) << error;
  }
  EXPECT_EQ(fs.contents(segment).size(), log.size()) << "nothing was cut";
  // Damage that also breaks the decoding (byte 200 lies in an early record's header or pointers) refuses too.
  ASSERT_TRUE(fs.flip_bit(segment, at, 5));
  ASSERT_TRUE(fs.flip_bit(segment, 200, 3));
  LedgerHarness again(fs);
  ASSERT_FALSE(again.recovery().status.ok());
  EXPECT_NE(again.recovery().status.message().find("byte"), std::string::npos) << again.recovery().status.message();
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
  ASSERT_FALSE(restarted.recovery().status.ok());
  EXPECT_NE(restarted.recovery().status.message().find("transaction forged of user 1"), std::string::npos)
      << restarted.recovery().status.message();
}

}  // namespace
