// A batch's messages to its users' actors, sent by the HTTP thread in batch order, and the turns of the actors
// they woke handed to CAF's workers as a few jobs instead of one schedule per actor.
// A batch over many users sends one message per user; each message to an idle actor used to schedule that actor
// on its own: a push onto the scheduler's queue (and a worker's wake) on the sending side, and per actor on the
// worker a pop, a `dynamic_cast` and logger bookkeeping in CAF's loop before the turn (perf over 10,000 users:
// ~7% of tallyd's CPU). Here the sends go through an execution unit that only collects the actors they made
// ready; `hand_to_workers` then schedules jobs of up to `actors_per_job_max` actors, and a worker runs their turns
// one after the other, as it would have.
// Nothing about an actor's turns changes: CAF makes an actor ready only on the send that finds it idle, and
// whoever gets it ready runs it (here: the job), so each user's messages are still handled one at a time, in the
// order they reached its mailbox (the sends themselves stay on the HTTP thread, in batch order).
#pragma once

#include <cstddef>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/execution_unit.hpp>
#include <caf/resumable.hpp>

namespace tally {

class BatchTurns final : public caf::execution_unit {
 public:
  // Actors whose turns one worker job runs in a row: enough to spread the scheduling cost thin, small enough
  // that with several actor threads the others take jobs of the same batch.
  static constexpr std::size_t actors_per_job_max = 64;

  // Loads, a few actors ahead of its turn, what an actor's turn reads first: `step` 0, 1, ... one level of
  // pointers deeper each, called in that order, one actor apart (UserActor::prefetch_turn). Optional.
  using Prefetch = void (*)(caf::resumable* actor, int step);
  static constexpr int prefetch_steps = 8;

  explicit BatchTurns(caf::actor_system& system, Prefetch prefetch = nullptr)
      : caf::execution_unit(&system), prefetch_(prefetch) {}
  ~BatchTurns() override;  // hands over what is still collected
  BatchTurns(const BatchTurns&) = delete;
  BatchTurns& operator=(const BatchTurns&) = delete;

  // Where CAF puts an actor that a send through this unit made ready (with a reference for whoever runs it).
  void exec_later(caf::resumable* job) override { ready_.push_back(job); }
  // Schedules the collected actors' turns on the workers. Call it with no lock held.
  void hand_to_workers();

 private:
  std::vector<caf::resumable*> ready_;
  Prefetch prefetch_;
};

}  // namespace tally
