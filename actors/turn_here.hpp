// An idle user actor's turn run by the thread that sent it the message, instead of waking a CAF worker for it.
// At the request rates tallyd sees, the worker is asleep between messages, and waking it (and the switch to it)
// cost more than the turn itself (bench/hop_cost.sh; README "Performance"). So a single PUT or a balance-at-date
// read sent from an HTTP thread runs its actor's turn there, right after the send, when the actor was idle; an
// actor that is already scheduled or running simply gets the message in its mailbox, as always.
// CAF still guarantees one turn at a time per actor (only the send that unblocks a mailbox schedules it), so each
// user's writes stay serialised. Threads that must not run turns (a CAF worker inside another actor's turn, the
// WAL thread) send the usual way: TurnHere::allowed() says which.
#pragma once

#include <cstddef>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/execution_unit.hpp>
#include <caf/resumable.hpp>

namespace tally {

class TurnHere final : public caf::execution_unit {
 public:
  // One turn here handles the message sent here and nothing else: the actor was idle, so that message is first
  // in its mailbox, and whatever others sent meanwhile (a batch's share, say) goes on to a worker.
  static constexpr std::size_t messages_per_turn_max = 1;

  explicit TurnHere(caf::actor_system& system) : caf::execution_unit(&system) {}
  ~TurnHere() override;  // runs what was scheduled here
  TurnHere(const TurnHere&) = delete;
  TurnHere& operator=(const TurnHere&) = delete;

  // Where CAF puts an actor that a send through this unit made ready.
  void exec_later(caf::resumable* job) override;
  // Runs every actor made ready here, one turn each. Call it with no lock held: a turn may take the slot lock.
  void run();

  // Whether this thread may run turns: not while it runs one (a turn's own sends go to the workers, no nesting),
  // and never on a thread that said no (forbid_on_this_thread: the WAL writer).
  static bool allowed();
  static void forbid_on_this_thread();

  // Marks this thread as inside an actor's turn for its lifetime (UserActor::consume).
  class InTurn {
   public:
    InTurn();
    ~InTurn();
    InTurn(const InTurn&) = delete;
    InTurn& operator=(const InTurn&) = delete;

   private:
    bool outer_;
  };

 private:
  caf::resumable* ready_ = nullptr;  // at most one per send; run() drains it
};

}  // namespace tally
