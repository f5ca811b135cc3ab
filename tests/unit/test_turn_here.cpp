// Where a user actor's turn runs (actors/turn_here.hpp): an idle actor's turn for a message sent from a plain
// thread runs on that thread, before the send returns; a busy actor only gets the message queued (the sender
// never waits for it); and a send made inside a turn goes to CAF's workers instead of nesting a second turn.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "ledger_harness.hpp"

namespace {

using namespace tally;
using tally::testing::FaultyFileSystem;
using tally::testing::LedgerHarness;
using tally::testing::jan1;
using tally::testing::make_tx;

TEST(TurnHere, AnIdleActorsReadRunsOnTheSendingThreadBeforeTheSendReturns) {
  FaultyFileSystem fs;
  LedgerHarness h(fs);
  const UserId u = h.create_user("idle").user.id;  // no actor yet: the read spawns it, lazily
  std::thread::id answered_on;
  MinorUnits balance = -1;
  ASSERT_TRUE(h.ledger().balance_at(u, jan1, [&](MinorUnits b) {
    answered_on = std::this_thread::get_id();
    balance = b;
  }));
  EXPECT_EQ(answered_on, std::this_thread::get_id());
  EXPECT_EQ(balance, 0);
  // And a write after it, on the same (now idle) actor: judged here, answered once durable.
  EXPECT_EQ(h.apply(make_tx("here-1", u, TxKind::deposit, 500, jan1)).outcome, Outcome::applied);
  EXPECT_EQ(h.balance_at(u, jan1), 500);
}

TEST(TurnHere, ABusyActorGetsTheMessageQueuedAndTheSenderGoesOn) {
  FaultyFileSystem fs;
  LedgerHarness h(fs);
  const UserId u = h.create_user("busy").user.id;
  std::promise<void> held, release;
  std::shared_future<void> may_go = release.get_future().share();
  std::thread holder([&] {
    EXPECT_TRUE(h.ledger().balance_at(u, jan1, [&](MinorUnits) {
      held.set_value();
      may_go.wait();  // the actor's turn stays on this thread until released
    }));
  });
  held.get_future().wait();
  std::atomic<bool> answered{false};
  std::promise<std::thread::id> answered_on;
  ASSERT_TRUE(h.ledger().balance_at(u, jan1, [&](MinorUnits) {
    answered = true;
    answered_on.set_value(std::this_thread::get_id());
  }));
  EXPECT_FALSE(answered.load()) << "the sender ran a turn of an actor that another thread was running";
  release.set_value();
  holder.join();
  const std::thread::id on = answered_on.get_future().get();
  EXPECT_NE(on, std::this_thread::get_id());
}

TEST(TurnHere, ASendInsideATurnGoesToTheWorkers) {
  FaultyFileSystem fs;
  LedgerHarness h(fs);
  const UserId outer = h.create_user("outer").user.id;
  const UserId inner = h.create_user("inner").user.id;
  std::promise<std::thread::id> inner_on;
  std::thread::id outer_on;
  ASSERT_TRUE(h.ledger().balance_at(outer, jan1, [&](MinorUnits) {
    outer_on = std::this_thread::get_id();
    // The inner user's actor is idle, but this thread is inside the outer actor's turn: no second turn here.
    EXPECT_TRUE(h.ledger().balance_at(inner, jan1, [&](MinorUnits) { inner_on.set_value(std::this_thread::get_id()); }));
  }));
  EXPECT_EQ(outer_on, std::this_thread::get_id());
  EXPECT_NE(inner_on.get_future().get(), std::this_thread::get_id());
}

}  // namespace
