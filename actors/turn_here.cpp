// TurnHere: runs a ready actor's turn on the sending thread, and hands anything it cannot finish to CAF's workers.
#include "actors/turn_here.hpp"

#include <caf/scheduler/abstract_coordinator.hpp>

#include "actors/tsan_handoff.hpp"
#include "ledger/assert.hpp"

namespace tally {

namespace {
thread_local bool in_turn = false;    // this thread is running an actor's turn (any actor, any unit)
thread_local bool forbidden = false;  // this thread never runs turns
}  // namespace

bool TurnHere::allowed() { return !in_turn && !forbidden; }

void TurnHere::forbid_on_this_thread() { forbidden = true; }

TurnHere::InTurn::InTurn() : outer_(in_turn) { in_turn = true; }

TurnHere::InTurn::~InTurn() { in_turn = outer_; }

TurnHere::~TurnHere() { run(); }

void TurnHere::exec_later(caf::resumable* job) {
  // One send makes at most one actor ready, and run() follows each send; a turn's own sends go to the workers.
  TALLY_ASSERT(ready_ == nullptr, "one actor made ready per send through this unit");
  ready_ = job;
}

void TurnHere::run() {
  caf::resumable* job = ready_;
  ready_ = nullptr;
  if (job == nullptr) return;
  // CAF took a reference for the scheduler when it made the actor ready: it is ours to give back (or pass on).
  switch (job->resume(this, messages_per_turn_max)) {
    case caf::resumable::resume_later:
      system().scheduler().enqueue(job);  // more mail than one turn here takes: a worker goes on with it
      break;
    case caf::resumable::done:
    case caf::resumable::awaiting_message:
    case caf::resumable::shutdown_execution_unit:
      tsan::give_back_ready_actor(job);
      break;
  }
}

}  // namespace tally
