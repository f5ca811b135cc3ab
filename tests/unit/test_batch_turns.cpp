// BatchTurns (actors/batch_turns.hpp): actors that sends through it make ready are held, not scheduled, until
// hand_to_workers; then CAF's workers run every one of them (more than one job's worth here), each actor's messages
// in the order they were sent, never on the sending thread. And through the ledger: a batch over many users, each
// with items whose order matters, is judged in batch order per user.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include <caf/all.hpp>

#include "actors/batch_turns.hpp"
#include "ledger_harness.hpp"

namespace {

using namespace tally;
using tally::testing::FaultyFileSystem;
using tally::testing::LedgerHarness;
using tally::testing::jan1;
using tally::testing::make_tx;

struct Seen {
  std::mutex mutex;
  std::vector<std::vector<int>> order;  // per actor, the messages in the order handled
  std::atomic<int> handled{0};
  std::atomic<bool> on_sender{false};
  std::thread::id sender = std::this_thread::get_id();
};

caf::behavior recorder(caf::event_based_actor*, int index, Seen* seen) {
  return {[=](int message) {
    if (std::this_thread::get_id() == seen->sender) seen->on_sender = true;
    {
      std::lock_guard<std::mutex> lock(seen->mutex);
      seen->order[index].push_back(message);
    }
    ++seen->handled;
  }};
}

TEST(BatchTurns, HeldUntilHandedOverThenRunOnWorkersInSendOrder) {
  caf::actor_system_config config;
  config.set("scheduler.max-threads", 2);
  caf::actor_system system{config};
  constexpr int actors = 3 * static_cast<int>(BatchTurns::actors_per_job_max) + 5;  // several jobs
  constexpr int per_actor = 3;
  Seen seen;
  seen.order.resize(actors);
  std::vector<caf::actor> handles;
  for (int a = 0; a < actors; ++a) handles.push_back(system.spawn<caf::lazy_init>(recorder, a, &seen));
  {
    BatchTurns turns(system);
    for (int m = 0; m < per_actor; ++m)
      for (int a = 0; a < actors; ++a)
        caf::actor_cast<caf::abstract_actor*>(handles[a])
            ->enqueue(caf::make_mailbox_element(nullptr, caf::make_message_id(), {}, m), &turns);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // a chance to run early, which it must not take
    EXPECT_EQ(seen.handled.load(), 0) << "an actor made ready through the unit ran before it was handed over";
    turns.hand_to_workers();
  }
  for (int spins = 0; seen.handled.load() < actors * per_actor && spins < 10000; ++spins)  // bounded: 10 s
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_EQ(seen.handled.load(), actors * per_actor);
  EXPECT_FALSE(seen.on_sender.load());
  std::lock_guard<std::mutex> lock(seen.mutex);
  for (int a = 0; a < actors; ++a) EXPECT_EQ(seen.order[a], (std::vector<int>{0, 1, 2})) << "actor " << a;
}

TEST(BatchTurns, ABatchOverManyUsersIsJudgedInBatchOrderPerUser) {
  FaultyFileSystem fs;
  LedgerHarness h(fs);
  std::vector<UserId> users;
  for (int k = 0; k < 300; ++k) users.push_back(h.create_user("u" + std::to_string(k)).user.id);
  // Per user: deposit 5, withdraw 5, withdraw 1 — in this order the last is refused; judged in any other order
  // a withdrawal would come before the deposit and be refused instead. Users interleaved across the batch.
  std::vector<TransactionApplied> batch;
  const TxKind kinds[] = {TxKind::deposit, TxKind::withdraw, TxKind::withdraw};
  const MinorUnits amounts[] = {5, 5, 1};
  for (int step = 0; step < 3; ++step)
    for (std::size_t k = 0; k < users.size(); ++k)
      batch.push_back(make_tx("bt-" + std::to_string(step) + "-" + std::to_string(k), users[k], kinds[step],
                              amounts[step], jan1 + step));
  const std::vector<TxResult> results = h.apply_batch(batch);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const Outcome want = i < 2 * users.size() ? Outcome::applied : Outcome::insufficient_funds;
    EXPECT_EQ(results[i].outcome, want) << i;
  }
  for (UserId u : users) EXPECT_EQ(h.balance_at(u, jan1 + 10), 0);
}

}  // namespace
