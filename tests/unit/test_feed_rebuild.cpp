// The change feed rebuilt by recovery (feed/feed_rebuild): the events it makes from the WAL's records are the
// ones deriving record by record makes, and a small ring rebuilt from the same records holds exactly the tail of
// the whole feed.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "feed/feed_log.hpp"
#include "feed/feed_rebuild.hpp"
#include "feed/funds_rule.hpp"
#include "feed_samples.hpp"

namespace tally {
namespace {

using feed::Event;
using feed_test::tx;
using testing::jan1;

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
