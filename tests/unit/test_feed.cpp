// The change feed's rules: the funds rule (one event per crossing, in order), the feed log's numbering,
// retention, filters and cursors, and the whole path through a real ledger: concurrent withdrawals on one user,
// a threshold change, and the same feed rebuilt after a restart (recovery's rebuild: test_feed_rebuild.cpp).
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "feed/feed_log.hpp"
#include "feed/funds_rule.hpp"
#include "feed_samples.hpp"
#include "ledger_harness.hpp"

namespace tally {
namespace {

using feed::Event;
using feed::EventType;
using feed_test::tx;
using testing::jan1;

std::vector<EventType> types_of(const std::vector<Event>& events) {
  std::vector<EventType> out;
  for (const Event& e : events) out.push_back(e.type);
  return out;
}

TEST(FundsRule, OneEventPerCrossingInEitherDirection) {
  feed::FundsState state;
  std::vector<Event> out;
  feed::derive_events(UserCreated{1, "a", "", jan1, "", 500}, state, out);
  feed::derive_events(tx("d1", TxKind::deposit, 400), state, out);   // 4.00 <= 5.00: still at-or-below
  feed::derive_events(tx("d2", TxKind::deposit, 200), state, out);   // 6.00: above
  feed::derive_events(tx("d3", TxKind::deposit, 100), state, out);   // still above: no event
  feed::derive_events(tx("w1", TxKind::withdraw, 200), state, out);  // 5.00: at the line is at-or-below
  feed::derive_events(tx("w2", TxKind::withdraw, 100), state, out);  // 4.00: still below: no event
  EXPECT_EQ(types_of(out),
            (std::vector<EventType>{EventType::user_created, EventType::transaction_applied,
                                    EventType::transaction_applied, EventType::funds_available,
                                    EventType::transaction_applied, EventType::transaction_applied,
                                    EventType::funds_depleted, EventType::transaction_applied}));
  EXPECT_EQ(out[3].text, "d2");
  EXPECT_EQ(out[3].balance, 600);
  EXPECT_EQ(out[3].threshold, 500);
  EXPECT_EQ(out[6].text, "w1");
  EXPECT_EQ(out[6].balance, 500);
  EXPECT_EQ(out[4].balance, 700);  // transaction.applied carries the balance right after it
  EXPECT_EQ(out[5].balance, 500);
  EXPECT_EQ(out[2].time, jan1 + 5);  // the acceptance time, not the (backdatable) timestamp
}

// transaction.applied shows the stored transaction as GET /v1/transaction/{uid} does: its API client too.
TEST(FundsRule, TransactionEventCarriesItsClient) {
  feed::FundsState state;
  std::vector<Event> out;
  TransactionApplied keyed = tx("k1", TxKind::deposit, 100);
  keyed.client = "billing";
  feed::derive_events(keyed, state, out);
  feed::derive_events(tx("o1", TxKind::deposit, 100), state, out);  // open mode: no client
  ASSERT_EQ(out.size(), 3u);  // k1, funds_available (0.00 -> 1.00 crosses the default line), o1
  EXPECT_EQ(out[0].transaction().uid, "k1");
  EXPECT_EQ(out[0].transaction().client, "billing");
  EXPECT_EQ(out[1].text, "k1") << "a funds event names the uid alone";
  EXPECT_EQ(out[2].transaction().uid, "o1");
  EXPECT_EQ(out[2].transaction().client, "");
}

TEST(FundsRule, ThresholdChangeAcrossTheBalanceFiresAfterTheUpdate) {
  feed::FundsState state;
  std::vector<Event> out;
  feed::derive_events(UserCreated{1, "a", "", jan1, "", 0}, state, out);
  feed::derive_events(tx("d1", TxKind::deposit, 1000), state, out);  // above 0.00
  feed::derive_events(UserUpdated{1, 1000, jan1 + 9, {}}, state, out);   // the line moves to the balance
  feed::derive_events(UserUpdated{1, 2000, jan1 + 10, {}}, state, out);  // further: no new crossing
  feed::derive_events(UserUpdated{1, 999, jan1 + 11, {}}, state, out);   // below the balance again
  EXPECT_EQ(types_of(out), (std::vector<EventType>{EventType::user_created, EventType::transaction_applied,
                                                   EventType::funds_available, EventType::user_updated,
                                                   EventType::funds_depleted, EventType::user_updated,
                                                   EventType::user_updated, EventType::funds_available}));
  EXPECT_EQ(out[4].text, "");  // a threshold change, not a transaction, crossed
  EXPECT_EQ(out[4].threshold, 1000);
  EXPECT_EQ(out[7].threshold, 999);
}

TEST(FundsRule, AUserStartsAtOrBelowWithoutAnEvent) {
  feed::FundsState state;
  std::vector<Event> out;
  feed::derive_events(UserCreated{1, "a", "", jan1, "", 0}, state, out);
  EXPECT_FALSE(state.above());
  EXPECT_EQ(out.size(), 1u);
}

std::vector<Event> some_events(std::size_t n, UtcMicros first_time) {
  std::vector<Event> events(n);
  for (std::size_t k = 0; k < n; ++k) {
    events[k].type = k % 2 ? EventType::transaction_applied : EventType::user_updated;
    events[k].user_id = 1 + k % 3;
    events[k].time = first_time - static_cast<UtcMicros>(k);  // out of order: the log makes it non-decreasing
  }
  return events;
}

TEST(FeedLog, NumbersFromOneWithoutGapsAndKeepsTimeNonDecreasing) {
  feed::FeedLog log(100, 0);
  std::vector<Event> batch = some_events(5, jan1);
  log.append(batch);
  EXPECT_TRUE(batch.empty());
  batch = some_events(3, jan1 - 100);
  log.append(batch);
  const feed::FeedRead read = log.read(0, 100, {});
  ASSERT_EQ(read.events.size(), 8u);
  for (std::size_t k = 0; k < read.events.size(); ++k) {
    EXPECT_EQ(read.events[k].seq, k + 1);
    if (k > 0) {
      EXPECT_GE(read.events[k].time, read.events[k - 1].time);
    }
  }
  EXPECT_EQ(read.last, 8u);
}

TEST(FeedLog, RetentionExpiresOldCursorsAndRefusesCursorsAhead) {
  feed::FeedLog log(10, 0);
  std::vector<Event> batch = some_events(25, jan1);
  log.append(batch);
  EXPECT_EQ(log.oldest_seq(), 16u);
  EXPECT_EQ(log.read(14, 10, {}).status, feed::FeedRead::Status::expired);
  EXPECT_EQ(log.read(14, 10, {}).oldest, 16u);
  const feed::FeedRead from_oldest = log.read(15, 10, {});
  ASSERT_EQ(from_oldest.status, feed::FeedRead::Status::ok);
  EXPECT_EQ(from_oldest.events.front().seq, 16u);
  EXPECT_EQ(from_oldest.events.back().seq, 25u);
  EXPECT_EQ(log.read(26, 10, {}).status, feed::FeedRead::Status::ahead);
  const feed::FeedRead at_end = log.read(25, 10, {});
  EXPECT_EQ(at_end.status, feed::FeedRead::Status::ok);
  EXPECT_TRUE(at_end.events.empty());
  EXPECT_EQ(at_end.last, 25u);
}

TEST(FeedLog, FiltersAdvanceLastPastWhatTheyLeaveOut) {
  feed::FeedLog log(100, 0);
  std::vector<Event> batch = some_events(10, jan1);
  log.append(batch);
  feed::EventFilter filter;
  filter.user_id = 2;
  filter.types = 1u << static_cast<unsigned>(EventType::transaction_applied);
  const feed::FeedRead read = log.read(0, 100, filter);
  for (const Event& e : read.events) {
    EXPECT_EQ(e.user_id, 2u);
    EXPECT_EQ(e.type, EventType::transaction_applied);
  }
  EXPECT_EQ(read.events.size(), 2u);  // seq 2 (k=1) and seq 8 (k=7)
  EXPECT_EQ(read.last, 10u);
  const feed::FeedRead limited = log.read(0, 1, filter);
  ASSERT_EQ(limited.events.size(), 1u);
  EXPECT_EQ(limited.last, limited.events.front().seq);  // the next page starts right after it
}

TEST(FeedLog, ALongReadIsWholeAcrossTheLocksChunks) {
  feed::FeedLog log(20'000, 0);
  std::vector<Event> batch = some_events(3 * limits::feed_scan_chunk_events + 5, jan1);
  log.append(batch);
  const feed::FeedRead read = log.read(3, 100'000, {});
  ASSERT_EQ(read.events.size(), 3 * limits::feed_scan_chunk_events + 2);
  for (std::size_t k = 0; k < read.events.size(); ++k) ASSERT_EQ(read.events[k].seq, k + 4);
  EXPECT_EQ(read.last, log.newest_seq());
}

TEST(FeedLog, WaitBeyondReturnsOnAppend) {
  feed::FeedLog log(100, 0);
  std::thread writer([&log] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::vector<Event> batch = some_events(1, jan1);
    log.append(batch);
  });
  EXPECT_TRUE(log.wait_beyond(0, std::chrono::steady_clock::now() + std::chrono::seconds(30)));
  writer.join();
  EXPECT_FALSE(log.wait_beyond(1, std::chrono::steady_clock::now() + std::chrono::milliseconds(1)));
}

// The events thread's wait while no reader waits: only wake_all() ends it (or its deadline), and a wake that came
// after the count was read but before the wait began is not missed.
TEST(FeedLog, WaitForWakeEndsOnAWakeEvenOneBeforeTheWait) {
  feed::FeedLog log(100, 0);
  const auto far = [] { return std::chrono::steady_clock::now() + std::chrono::seconds(30); };
  const std::uint64_t before = log.wakes();
  log.wake_all();  // between reading the count and waiting
  EXPECT_TRUE(log.wait_for_wake(before, far()));
  std::thread waker([&log] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    log.wake_all();
  });
  EXPECT_TRUE(log.wait_for_wake(before + 1, far()));
  waker.join();
  EXPECT_EQ(log.wakes(), before + 2);
  EXPECT_FALSE(log.wait_for_wake(before + 2, std::chrono::steady_clock::now() + std::chrono::milliseconds(1)));
}

std::vector<std::string> fingerprint(const feed::FeedLog& log) {
  std::vector<std::string> out;
  for (const Event& e : log.read(0, 100'000, {}).events)
    out.push_back(std::to_string(e.seq) + " " + feed::event_type_name(e.type) + " " + std::to_string(e.user_id) +
                  " " + std::to_string(e.balance) + " " + std::to_string(e.threshold) + " " + e.text + " " +
                  std::to_string(e.amount) + " " + std::to_string(e.at) + " " + std::to_string(e.time));
  return out;
}

// 300 withdrawals of one user at once: whatever order the actor takes them in, the balance crosses the line
// once, and the same feed comes back after a restart.
TEST(FeedThroughTheLedger, ConcurrentWithdrawalsCrossOnceAndTheFeedSurvivesARestart) {
  testing::FaultyFileSystem fs;
  std::vector<std::string> before;
  {
    feed::FeedLog log(100'000, 0);
    testing::LedgerHarness h(fs, 0, limits::actor_idle_ms_default, system_clock(), &log);
    const UserId u = h.create_user("ads", "", 1000).user.id;
    ASSERT_EQ(h.apply(testing::make_tx("fund", u, TxKind::deposit, 20'000, jan1)).outcome, Outcome::applied);
    std::vector<std::thread> threads;
    std::atomic<int> applied{0};
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int k = 0; k < 75; ++k) {
          const TxResult r =
              h.apply(testing::make_tx("w" + std::to_string(t) + "-" + std::to_string(k), u, TxKind::withdraw, 100,
                                       jan1 + 1 + k));
          if (r.outcome == Outcome::applied) ++applied;
        }
      });
    }
    for (std::thread& th : threads) th.join();
    EXPECT_EQ(applied.load(), 200);  // 200.00 of 1.00 withdrawals; the rest insufficient
    EXPECT_EQ(h.update_user(u, 0).outcome, Outcome::applied);
    const feed::FeedRead read = log.read(0, 100'000, {});
    int available = 0, depleted = 0, applied_events = 0;
    for (const Event& e : read.events) {
      available += e.type == EventType::funds_available;
      depleted += e.type == EventType::funds_depleted;
      applied_events += e.type == EventType::transaction_applied;
    }
    EXPECT_EQ(applied_events, 201);
    EXPECT_EQ(available, 1);
    EXPECT_EQ(depleted, 1);
    EXPECT_EQ(read.events.back().type, EventType::user_updated);  // 0.00 at 0.00: still at-or-below
    before = fingerprint(log);
    h.shutdown();
  }
  feed::FeedLog rebuilt(100'000, 0);
  testing::LedgerHarness again(fs, 0, limits::actor_idle_ms_default, system_clock(), &rebuilt);
  ASSERT_TRUE(again.recovery().status.ok());
  EXPECT_EQ(fingerprint(rebuilt), before);
}

// The events of a group commit are appended at its end, and only then do its answers leave: whichever thread
// takes an answer finds the answered transaction's event (and the created user's) in the feed already.
TEST(FeedThroughTheLedger, EveryAnswerFindsItsEventInTheFeed) {
  testing::FaultyFileSystem fs;
  feed::FeedLog log(100'000, 0);
  testing::LedgerHarness h(fs, 0, limits::actor_idle_ms_default, system_clock(), &log);
  const auto has_event = [&log](EventType type, UserId user, const std::string& text) {
    for (const Event& e : log.read(0, 100'000, {}).events)
      if (e.type == type && e.user_id == user && e.text.compare(0, text.size(), text) == 0) return true;
    return false;
  };
  std::atomic<int> answered{0}, missing{0};
  std::vector<UserId> users;
  for (int k = 0; k < 4; ++k) {
    std::promise<void> done;
    h.ledger().create_user("u" + std::to_string(k), "", 0, "", [&](const UserResult& result) {
      EXPECT_EQ(result.outcome, Outcome::applied);
      if (!has_event(EventType::user_created, result.user.id, "u")) ++missing;
      users.push_back(result.user.id);
      done.set_value();
    });
    done.get_future().wait();
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < 50; ++k) {
        // Several in flight at once, over several users: group commits of more than one entry.
        std::vector<std::promise<void>> done(4);
        for (int j = 0; j < 4; ++j) {
          const std::string uid = "t" + std::to_string(t) + "-" + std::to_string(k) + "-" + std::to_string(j);
          const UserId user = users[static_cast<std::size_t>(j)];
          h.ledger().apply(testing::make_tx(uid, user, TxKind::deposit, 100, jan1 + k),
                           [&, uid, user, j](const TxResult& result) {
                             EXPECT_EQ(result.outcome, Outcome::applied);
                             if (!has_event(EventType::transaction_applied, user, uid)) ++missing;
                             ++answered;
                             done[static_cast<std::size_t>(j)].set_value();
                           });
        }
        for (std::promise<void>& d : done) d.get_future().wait();
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(answered.load(), 800);
  EXPECT_EQ(missing.load(), 0);
  EXPECT_GT(h.wal().stats().records, h.wal().stats().batches);  // some commits held several entries
}

}  // namespace
}  // namespace tally
