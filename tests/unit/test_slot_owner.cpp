// SlotOwner: a user slot's one word that holds the running actor or the dormant ledger (never both): each hand-over
// keeps the right object, the ledger is freed exactly once, an actor handle's reference is released, and a
// hand-over into an occupied word aborts.
#include <gtest/gtest.h>

#include <memory>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>

#include "actors/slot_owner.hpp"

namespace {

using tally::SlotOwner;

struct CountedLedger {
  explicit CountedLedger(int& alive) : alive(&alive) { ++alive; }
  ~CountedLedger() { --*alive; }
  int* alive;
  long long payload = 42;
};

std::size_t strong_refs(const caf::actor& actor) {
  return caf::actor_control_block::from(actor.operator->())->strong_refs.load();
}

// It takes an argument it ignores: CAF 0.17 spawns a function actor without arguments through a null
// shared_ptr<tuple<>> that it dereferences (UBSan: reference binding to null pointer, inside CAF's header).
caf::behavior idle_actor(caf::event_based_actor*, int) {
  return {[](int) {}};
}

TEST(SlotOwner, HandsTheLedgerToTheActorAndBack) {
  caf::actor_system_config config;
  caf::actor_system system{config};
  int alive = 0;
  {
    SlotOwner<CountedLedger> owner;
    EXPECT_FALSE(owner.has_actor());
    EXPECT_EQ(owner.dormant(), nullptr);
    EXPECT_EQ(owner.take_dormant(), nullptr) << "a fresh slot has no ledger to hand over";

    auto ledger = std::make_unique<CountedLedger>(alive);
    CountedLedger* address = ledger.get();
    owner.set_dormant(std::move(ledger));
    EXPECT_FALSE(owner.has_actor());
    EXPECT_EQ(owner.dormant(), address);
    EXPECT_EQ(owner.dormant()->payload, 42);

    // Spawning: the ledger leaves the slot, the actor's handle takes the word.
    std::unique_ptr<CountedLedger> taken = owner.take_dormant();
    EXPECT_EQ(taken.get(), address);
    EXPECT_EQ(owner.dormant(), nullptr);
    caf::actor actor = system.spawn(idle_actor, 0);
    owner.set_actor(actor);
    EXPECT_TRUE(owner.has_actor());
    EXPECT_EQ(owner.actor(), actor);
    EXPECT_EQ(owner.dormant(), nullptr) << "a running actor's word is not read as a ledger";

    // Passivation: the actor's handle goes, the ledger comes back.
    owner.clear_actor();
    EXPECT_FALSE(owner.has_actor());
    owner.set_dormant(std::move(taken));
    EXPECT_EQ(owner.dormant(), address);
    EXPECT_EQ(alive, 1);
    caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
  }
  EXPECT_EQ(alive, 0) << "a dormant ledger is freed with its slot, once";
}

TEST(SlotOwner, ReleasesTheActorHandleItHolds) {
  caf::actor_system_config config;
  caf::actor_system system{config};
  caf::actor actor = system.spawn(idle_actor, 0);
  const std::size_t before = strong_refs(actor);
  {
    SlotOwner<CountedLedger> owner;
    owner.set_actor(actor);
    EXPECT_EQ(strong_refs(actor), before + 1);
  }
  EXPECT_EQ(strong_refs(actor), before) << "the slot's handle is released when the slot goes";
  caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
}

TEST(SlotOwnerDeath, NeverHoldsBoth) {
  EXPECT_DEATH(
      {
        caf::actor_system_config config;
        caf::actor_system system{config};
        int alive = 0;
        SlotOwner<CountedLedger> owner;
        owner.set_dormant(std::make_unique<CountedLedger>(alive));
        owner.set_actor(system.spawn(idle_actor, 0));
      },
      "neither an actor nor a ledger");
  EXPECT_DEATH(
      {
        SlotOwner<CountedLedger> owner;
        owner.clear_actor();
      },
      "only a running actor");
}

}  // namespace
