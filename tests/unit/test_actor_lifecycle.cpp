// The actors' life: an idle user actor passivates and comes back with its history, under constant traffic and
// racing with requests without losing one; the idle sweep visits its slices in turn and does not stretch a short
// period; a slot keeps a name of any length. The ledger's rules through the actors: test_ledger_service.cpp.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "actors/idle_sweep.hpp"
#include "actors/slot_name.hpp"
#include "ledger/clock.hpp"
#include "ledger/limits.hpp"
#include "ledger_harness.hpp"

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
