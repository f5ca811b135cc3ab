// ParallelRestore: replaying a log on several threads gives exactly the state a sequential replay gives, and a
// record that contradicts the log before it is reported, whichever worker meets it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <future>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/all.hpp>

#include "actors/ledger_service.hpp"
#include "recovery/parallel_restore.hpp"
#include "ledger/limits.hpp"
#include "record_checks.hpp"

namespace {

using namespace tally;
using recovery::ParallelRestore;
using Record = ParallelRestore::Record;

constexpr UtcMicros day = 86'400'000'000;

// A valid log: `users` users created along the way, deposits and withdrawals that keep every moment >= 0.
std::vector<Record> make_log(unsigned seed, int transactions, std::size_t users = 50) {
  std::mt19937_64 rng(seed);
  std::vector<Record> log;
  std::vector<MinorUnits> funded;  // per user: total of deposits so far (all dated day 0..9)
  for (int i = 0; i < transactions; ++i) {
    if (funded.size() < users && rng() % (users >= 1000 ? 2 : 20) == 0) {
      funded.push_back(0);
      log.push_back(UserCreated{funded.size(), "u" + std::to_string(funded.size()), "", 0, {}, 0});
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
                                     amount, at, true, {}, 0});
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

// A user's whole listing (GET /v1/user/{id}/transactions, page by page): uid and balance after each.
std::vector<std::pair<std::string, MinorUnits>> listing(LedgerService& ledger, UserId id) {
  std::vector<std::pair<std::string, MinorUnits>> out;
  HistoryQuery query;
  query.limit = limits::history_page_transactions_max;
  for (;;) {
    std::promise<HistoryPage> answer;
    std::future<HistoryPage> page_future = answer.get_future();
    if (!ledger.list_transactions(id, query, [&answer](const HistoryPage& page) { answer.set_value(page); })) break;
    const HistoryPage page = page_future.get();
    for (const HistoryItem& item : page.items) out.emplace_back(item.tx.uid, item.balance);
    if (!page.next) break;
    query.after = page.next;
  }
  return out;
}

// Big histories (50 users, ~1,200 transactions each) and small ones (10,000 users, a few each, over three of
// the timeline staging's buckets of users); dates fall on ten days, so most transactions share their timestamp
// with others: listings keep log order among them.
class EqualsSequentialReplay : public ::testing::TestWithParam<std::size_t> {};

TEST_P(EqualsSequentialReplay, BalancesUidsAndListings) {
  const std::vector<Record> log = make_log(3, 60'000, GetParam());
  Ledger sequential, parallel;
  LedgerRestore& replay = *sequential.ledger;
  for (const Record& r : log) {
    const bool ok = std::visit([&](const auto& rec) { return replay.restore(rec); }, r);
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
      ASSERT_TRUE(tally::testing::same_record(*found, *tx));
    }
  }
  // The timelines, built per user at the end of a parallel restore, list what inserting in log order lists.
  std::size_t listed = 0;
  for (UserId id = 1; id <= sequential.ledger->user_count(); ++id) {
    const auto expected = listing(*sequential.ledger, id);
    ASSERT_EQ(listing(*parallel.ledger, id), expected) << "user " << id;
    listed += expected.size();
  }
  EXPECT_EQ(listed, restore.transactions());
}

INSTANTIATE_TEST_SUITE_P(FewAndManyUsers, EqualsSequentialReplay, ::testing::Values(50, 10000));

// Copies `from` into `into` as wal::decode_into decodes: member by member, into the strings' capacity.
void decode_like(const Record& from, Record& into) {
  const auto* tx = std::get_if<TransactionApplied>(&from);
  auto* into_tx = std::get_if<TransactionApplied>(&into);
  if (tx != nullptr && into_tx != nullptr) {
    *into_tx = *tx;
  } else {
    into = from;
  }
}

// Writes over what add_recycling handed back, as decoding the next record into it would: a uid's whole buffer
// (it comes back empty, with a spent place's capacity). Were that buffer still a uid that a worker or the uid
// stage reads, the restored uids or listings would change.
void scribble(Record& record) {
  if (auto* tx = std::get_if<TransactionApplied>(&record)) tx->uid.assign(tx->uid.capacity(), '#');
}

// The restore of `log` equals the sequential replay in `sequential`: balances, uids and listings.
void expect_equal_restores(const std::vector<Record>& log, LedgerService& parallel, LedgerService& sequential) {
  for (const Record& r : log) {
    if (const auto* tx = std::get_if<TransactionApplied>(&r)) {
      const auto found = parallel.find_transaction(tx->uid);
      ASSERT_TRUE(found.has_value()) << tx->uid;
      ASSERT_TRUE(tally::testing::same_record(*found, *tx));
    }
  }
  for (UserId id = 1; id <= sequential.user_count(); ++id) {
    ASSERT_EQ(parallel.balance_now(id), sequential.balance_now(id)) << id;
    ASSERT_EQ(listing(parallel, id), listing(sequential, id)) << "user " << id;
  }
}

// add_recycling hands the reader a spent record's buffers to decode the next one into, stepped: after each
// hand-over (one worker: at every batch_records-th add) the test waits until the uid stage gave that batch back.
// A transaction then goes into a spent record's place of the next batch by assignment, and `record` comes back
// holding that place's old uid buffer (empty, with its heap capacity). So on every schedule
// - every buffer handed back is scribbled over at once, to its whole capacity: were it still a uid that a worker
//   or the uid stage reads (a batch not yet spent), the restored uids or listings would change, and the restore
//   must equal the sequential replay;
// - a spent batch is taken at each hand-over, but for at most one (the first finds none, unless its own batch
//   came back before it looked): at least (hand-overs - 1) batches' places are reused, each handing back a uid
//   buffer with the capacity the next uid needs (uids of one length, longer than the short-string buffer), so
//   decoding into it allocates nothing. Recycling that reuses nothing, or places without their buffers, fails.
TEST(ParallelRestore, RecycledRecordsAreSpent) {
  constexpr std::size_t batch = ParallelRestore::batch_records;
  constexpr std::size_t hand_overs = 6;
  constexpr std::size_t uid_chars = 39;  // every uid below: over the short-string buffer, on the heap
  std::vector<Record> log = make_log(5, 8 * batch, 1000);
  ASSERT_GE(log.size(), (hand_overs + 1) * batch);
  log.resize((hand_overs + 1) * batch - 1);  // a prefix of a valid log; the last hand-over's spares all used
  for (std::size_t i = 0; i < log.size(); ++i) {
    if (auto* tx = std::get_if<TransactionApplied>(&log[i])) {
      char uid[64];
      std::snprintf(uid, sizeof uid, "recycled-record-uid-%08zu-0123456789", i);
      tx->uid = uid;
      ASSERT_EQ(tx->uid.size(), uid_chars);
    }
  }
  Ledger sequential, parallel;
  for (const Record& r : log) {
    ASSERT_TRUE(std::visit([&](const auto& rec) { return static_cast<LedgerRestore&>(*sequential.ledger).restore(rec); }, r));
  }
  ParallelRestore restore(*parallel.ledger, 1);
  Record scratch;
  std::size_t handed_back = 0;
  for (std::size_t i = 0; i < log.size(); ++i) {
    decode_like(log[i], scratch);
    ASSERT_TRUE(restore.add_recycling(scratch));
    if (auto* back = std::get_if<TransactionApplied>(&scratch); back != nullptr && back->uid.capacity() >= uid_chars) {
      // Only a spent place's buffer has this capacity here: a record moved out into a new place is left empty.
      ASSERT_TRUE(back->uid.empty()) << "record " << i;
      scribble(scratch);
      ++handed_back;
    }
    if ((i + 1) % batch == 0) restore.wait_spent((i + 1) / batch);
  }
  ASSERT_TRUE(restore.finish()) << restore.error();
  RecordProperty("handed_back", static_cast<int>(handed_back));
  // A place that held a created user (make_log: under a tenth of these records) takes no transaction by assignment.
  EXPECT_GE(handed_back, (hand_overs - 1) * batch * 9 / 10);
  EXPECT_EQ(restore.users() + restore.transactions(), log.size());
  expect_equal_restores(log, *parallel.ledger, *sequential.ledger);
}

// The same handoff unstepped: the reader runs as far ahead as the bounded queues let it, and whatever comes back
// (how much depends on the schedule: the stepped test above asserts the amount) is scribbled over at once.
TEST(ParallelRestore, RecycledRecordsAreSpentWhenTheReaderRunsAhead) {
  std::vector<Record> log = make_log(5, 120'000, 10000);
  for (Record& r : log) {
    if (auto* tx = std::get_if<TransactionApplied>(&r)) tx->uid = "recycled-record-uid-" + tx->uid + "-0123456789";
  }
  Ledger sequential, parallel;
  for (const Record& r : log) {
    ASSERT_TRUE(std::visit([&](const auto& rec) { return static_cast<LedgerRestore&>(*sequential.ledger).restore(rec); }, r));
  }
  ParallelRestore restore(*parallel.ledger, 2);
  Record scratch;
  for (const Record& r : log) {
    decode_like(r, scratch);
    ASSERT_TRUE(restore.add_recycling(scratch));
    scribble(scratch);
  }
  ASSERT_TRUE(restore.finish()) << restore.error();
  EXPECT_EQ(restore.users() + restore.transactions(), log.size());
  expect_equal_restores(log, *parallel.ledger, *sequential.ledger);
}

// Restores `log` on `workers` threads; the error, or "" if it was accepted.
std::string restore_error(const std::vector<Record>& log, unsigned workers = 2) {
  Ledger ledger;
  ParallelRestore restore(*ledger.ledger, workers);
  for (const Record& r : log) {
    if (!restore.add(r)) break;
  }
  const bool ok = restore.finish();
  EXPECT_EQ(ok, restore.error().empty()) << restore.error();
  return restore.error();
}

TEST(ParallelRestore, ReportsARecordThatContradictsTheLog) {
  std::vector<Record> log = make_log(4, 20'000);
  // An overdraft in the middle of the log: a withdrawal bigger than anything the user ever had.
  log.insert(log.begin() + static_cast<std::ptrdiff_t>(log.size() / 2),
             TransactionApplied{"overdraft", 1, TxKind::withdraw, 1'000'000'000, 5 * day, true, {}, 0});
  for (unsigned workers : {1u, 2u, 3u}) {
    const std::string error = restore_error(log, workers);
    EXPECT_NE(error.find("transaction overdraft of user 1"), std::string::npos) << error;
  }
}

TEST(ParallelRestore, RefusesABalanceAboveTheMaximum) {
  std::vector<Record> log = make_log(5, 2'000);
  // 101 deposits of the largest amount: 100 reach balance_minor_max (1e17) exactly, the last would pass it.
  log.push_back(UserCreated{60, "rich", "", 0, {}, 0});
  for (int i = 0; i <= 100; ++i)
    log.push_back(TransactionApplied{"big" + std::to_string(i), 60, TxKind::deposit, limits::amount_minor_max,
                                     40 * day + i, true, {}, 0});
  const std::string error = restore_error(log);
  EXPECT_NE(error.find("transaction big100 of user 60"), std::string::npos) << error;
}

// Records are judged in log order, as the actor judged them: a withdrawal logged before the deposit that funds
// it is refused even though the history it would end in (deposit first in time) is valid.
TEST(ParallelRestore, JudgesEachUsersRecordsInLogOrder) {
  std::vector<Record> log;
  log.push_back(UserCreated{1, "u", "", 0, {}, 0});
  log.push_back(TransactionApplied{"spend", 1, TxKind::withdraw, 50, 2 * day, true, {}, 0});
  log.push_back(TransactionApplied{"fund", 1, TxKind::deposit, 100, day, true, {}, 0});
  const std::string error = restore_error(log);
  EXPECT_NE(error.find("transaction spend of user 1"), std::string::npos) << error;
  std::swap(log[1], log[2]);
  EXPECT_EQ(restore_error(log), "");
}

TEST(ParallelRestore, RefusesAReusedUidAndAnUnknownUser) {
  std::vector<Record> log = make_log(6, 5'000);
  const auto& some = *std::find_if(log.begin(), log.end(), [](const Record& r) {
    return std::holds_alternative<TransactionApplied>(r);
  });
  TransactionApplied again = std::get<TransactionApplied>(some);
  again.amount += 1;  // same uid, other content: a log we never wrote
  std::vector<Record> reused = log;
  reused.push_back(again);
  std::string error = restore_error(reused);
  EXPECT_NE(error.find(again.uid + " of user"), std::string::npos) << error;
  EXPECT_NE(error.find("uid is taken"), std::string::npos) << error;

  std::vector<Record> unknown = log;
  unknown.push_back(TransactionApplied{"nobody", 999, TxKind::deposit, 5, day, true, {}, 0});
  error = restore_error(unknown);
  EXPECT_NE(error.find("transaction nobody of user 999"), std::string::npos) << error;
}

}  // namespace
