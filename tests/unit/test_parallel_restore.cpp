// ParallelRestore: replaying a log on several threads gives exactly the state a sequential replay gives, and a
// record that contradicts the log before it is reported, whichever worker meets it.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include <caf/all.hpp>

#include "actors/ledger_service.hpp"
#include "actors/parallel_restore.hpp"

namespace {

using namespace tally;
using Record = ParallelRestore::Record;

constexpr UtcMicros day = 86'400'000'000;

// A valid log: 50 users created along the way, deposits and withdrawals that keep every moment >= 0.
std::vector<Record> make_log(unsigned seed, int transactions) {
  std::mt19937_64 rng(seed);
  std::vector<Record> log;
  std::vector<MinorUnits> funded;  // per user: total of deposits so far (all dated day 0..9)
  for (int i = 0; i < transactions; ++i) {
    if (funded.size() < 50 && rng() % 20 == 0) {
      funded.push_back(0);
      log.push_back(UserCreated{funded.size(), "u" + std::to_string(funded.size()), "", 0});
      continue;
    }
    if (funded.empty()) continue;
    const UserId user = 1 + rng() % funded.size();
    const bool deposit = funded[user - 1] < 1000 || rng() % 2;
    const MinorUnits amount = deposit ? 100 + static_cast<MinorUnits>(rng() % 900) : 1 + rng() % 10;
    // Deposits early, small withdrawals late: valid in any order within each group.
    const UtcMicros at = (deposit ? 0 : 20 * day) + static_cast<UtcMicros>(rng() % 10) * day;
    if (deposit) funded[user - 1] += amount;
    if (!deposit) funded[user - 1] -= amount;
    log.push_back(TransactionApplied{"t" + std::to_string(i), user, deposit ? TxKind::deposit : TxKind::withdraw,
                                     amount, at, true});
  }
  return log;
}

struct Ledger {
  caf::actor_system_config config;
  std::unique_ptr<caf::actor_system> system;
  std::unique_ptr<LedgerService> ledger;
  Ledger() {
    config.set("scheduler.max-threads", std::size_t{1});
    system = std::make_unique<caf::actor_system>(config);
    ledger = std::make_unique<LedgerService>(*system);
  }
};

TEST(ParallelRestore, EqualsSequentialReplay) {
  const std::vector<Record> log = make_log(3, 60'000);
  Ledger sequential, parallel;
  for (const Record& r : log) {
    const bool ok = std::visit([&](const auto& rec) { return sequential.ledger->restore(rec); }, r);
    ASSERT_TRUE(ok);
  }
  ParallelRestore restore(*parallel.ledger, 3);
  for (const Record& r : log) ASSERT_TRUE(restore.add(r));
  ASSERT_TRUE(restore.finish()) << restore.error();
  EXPECT_EQ(restore.users() + restore.transactions(), log.size());
  EXPECT_EQ(parallel.ledger->user_count(), sequential.ledger->user_count());
  EXPECT_EQ(parallel.ledger->transaction_count(), sequential.ledger->transaction_count());
  for (UserId id = 1; id <= sequential.ledger->user_count(); ++id) {
    ASSERT_EQ(parallel.ledger->balance_now(id), sequential.ledger->balance_now(id)) << id;
  }
  for (const Record& r : log) {
    if (const auto* tx = std::get_if<TransactionApplied>(&r)) {
      const auto found = parallel.ledger->find_transaction(tx->uid);
      ASSERT_TRUE(found.has_value());
      ASSERT_TRUE(found->same_request_as(*tx));
    }
  }
}

TEST(ParallelRestore, ReportsARecordThatContradictsTheLog) {
  std::vector<Record> log = make_log(4, 20'000);
  // An overdraft in the middle of the log: a withdrawal bigger than anything the user ever had.
  log.insert(log.begin() + static_cast<std::ptrdiff_t>(log.size() / 2),
             TransactionApplied{"overdraft", 1, TxKind::withdraw, 1'000'000'000, 5 * day, true});
  Ledger ledger;
  ParallelRestore restore(*ledger.ledger, 2);
  for (const Record& r : log) {
    if (!restore.add(r)) break;
  }
  EXPECT_FALSE(restore.finish());
  EXPECT_NE(restore.error().find("overdraft"), std::string::npos) << restore.error();
}

}  // namespace
