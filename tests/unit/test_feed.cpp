// The change feed's rules: the funds rule (one event per crossing, in order), the feed log's numbering,
// retention, filters and cursors, and the whole path through a real ledger: concurrent withdrawals on one user,
// a threshold change, and the same feed rebuilt after a restart; recovery's rebuild against deriving record by
// record.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <random>
#include <thread>

#include "feed/feed_log.hpp"
#include "feed/feed_rebuild.hpp"
#include "feed/funds_rule.hpp"
#include "ledger_harness.hpp"

namespace tally {
namespace {

using feed::Event;
using feed::EventType;
using testing::jan1;

std::vector<EventType> types_of(const std::vector<Event>& events) {
  std::vector<EventType> out;
  for (const Event& e : events) out.push_back(e.type);
  return out;
}

TransactionApplied tx(const std::string& uid, TxKind kind, MinorUnits amount) {
  TransactionApplied t{uid, 1, kind, amount, jan1, true, {}, 0};
  t.recorded_at = jan1 + 5;
  return t;
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

// Every field of one event.
std::string describe(const Event& e) {
  return std::to_string(e.seq) + " " + std::to_string(e.time) + " " + std::to_string(e.user_id) + " " +
         std::to_string(e.balance) + " " + std::to_string(e.threshold) + " " + e.text + " " +
         std::to_string(e.amount) + " " + std::to_string(e.at) + " " + std::to_string(static_cast<int>(e.kind)) +
         std::to_string(e.timestamp_given) + " " + feed::event_type_name(e.type);
}

// Every field of every event, in seq order.
std::vector<std::string> all_events(const feed::FeedLog& log) {
  std::vector<std::string> out;
  for (std::uint64_t after = 0;;) {
    const feed::FeedRead read = log.read(after, 1000, {});
    for (const Event& e : read.events)
      out.push_back(describe(e));
    if (read.events.empty()) return out;
    after = read.last;
  }
}

TEST(FeedRebuild, MakesTheEventsDerivingRecordByRecordMakes) {
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  feed::FeedLog rebuilt_log(100'000, 0), derived_log(100'000, 0);
  std::vector<feed::FundsState> states(41);
  std::vector<Event> events;
  {
    feed::FeedRebuild rebuild(rebuilt_log);
    for (UserId id = 1; id <= 40; ++id) {
      const UserCreated user{id, "u" + std::to_string(id), "", jan1, "", static_cast<MinorUnits>(rng() % 3) * 500};
      ASSERT_TRUE(rebuild.add(user));
      feed::derive_events(user, states[id], events);
      derived_log.append(events);
    }
    // Users at random, so a user's records are often closer together than the rebuild's delay, and thresholds
    // and balances cross often (funds events, with and without a client on the transaction).
    for (int k = 0; k < 3000; ++k) {
      const UserId id = 1 + rng() % 40;
      if (rng() % 10 == 0) {
        const UserUpdated update{id, static_cast<MinorUnits>(rng() % 4) * 500, jan1 + k, ""};
        ASSERT_TRUE(rebuild.add(update));
        feed::derive_events(update, states[id], events);
      } else {
        TransactionApplied t = tx("t" + std::to_string(k), rng() % 2 ? TxKind::deposit : TxKind::withdraw,
                                  1 + rng() % 700);
        t.user_id = id;
        t.recorded_at = jan1 + k;
        if (rng() % 3 == 0) t.client = "billing";
        ASSERT_TRUE(rebuild.add(t));
        feed::derive_events(t, states[id], events);
      }
      derived_log.append(events);
    }
    TransactionApplied stranger = tx("stranger", TxKind::deposit, 1);
    stranger.user_id = 41;  // never created
    EXPECT_FALSE(rebuild.add(stranger));
  }
  const std::vector<std::string> rebuilt = all_events(rebuilt_log), derived = all_events(derived_log);
  EXPECT_GT(derived.size(), 3040u);  // funds events too
  EXPECT_EQ(rebuilt, derived);
}

// A small ring rebuilt from the same records holds exactly the tail of a big one: the same seqs, times and
// content, although its slots were overwritten many times over (a slot that held a transaction with a client
// later holds a user.created or a funds event with no uid: nothing of the old event may survive).
TEST(FeedRebuild, ASmallRingKeepsTheTailOfTheWholeFeed) {
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  constexpr std::size_t small_retention = 97;  // wraps dozens of times, at no alignment with the records
  feed::FeedLog whole_log(100'000, 0), small_log(small_retention, 0);
  {
    feed::FeedRebuild whole(whole_log), small(small_log);
    UserId users = 0;
    for (int k = 0; k < 5000; ++k) {
      const unsigned pick = rng() % 20;
      if (users == 0 || pick == 0) {  // users keep arriving between the transactions
        ++users;
        const UserCreated user{users, std::string(1 + rng() % 30, 'n'), "", jan1 + k, "",
                               static_cast<MinorUnits>(rng() % 3) * 500};
        ASSERT_TRUE(whole.add(user));
        ASSERT_TRUE(small.add(user));
      } else if (pick == 1) {
        const UserUpdated update{1 + rng() % users, static_cast<MinorUnits>(rng() % 4) * 500, jan1 + k, ""};
        ASSERT_TRUE(whole.add(update));
        ASSERT_TRUE(small.add(update));
      } else {
        TransactionApplied t = tx("t" + std::to_string(k) + std::string(rng() % 40, 'x'),
                                  rng() % 2 ? TxKind::deposit : TxKind::withdraw, 1 + rng() % 700);
        t.user_id = 1 + rng() % users;
        t.recorded_at = jan1 + k - static_cast<UtcMicros>(rng() % 3);  // out of order: the log settles time
        t.timestamp_given = rng() % 2 == 0;
        if (rng() % 3 == 0) t.client = "billing";
        ASSERT_TRUE(whole.add(t));
        ASSERT_TRUE(small.add(t));
      }
    }
  }
  const std::vector<std::string> all = all_events(whole_log);
  ASSERT_GT(all.size(), 5000u);  // funds events too
  ASSERT_EQ(small_log.newest_seq(), whole_log.newest_seq());
  EXPECT_EQ(small_log.oldest_seq(), small_log.newest_seq() + 1 - small_retention);
  const feed::FeedRead tail = small_log.read(small_log.oldest_seq() - 1, small_retention, {});
  ASSERT_EQ(tail.events.size(), small_retention);
  std::vector<std::string> kept;
  for (const Event& e : tail.events) kept.push_back(describe(e));
  EXPECT_EQ(kept, std::vector<std::string>(all.end() - small_retention, all.end()));
}

}  // namespace
}  // namespace tally
