// BatchTurns: the worker job that runs, one after the other, the turns of the actors one batch made ready.
#include "actors/batch_turns.hpp"

#include <algorithm>
#include <atomic>
#include <utility>

#include <caf/scheduler/abstract_coordinator.hpp>

#include "actors/tsan_handoff.hpp"
#include "ledger/assert.hpp"

namespace tally {

namespace {

// Owns the references CAF took for the actors it holds until their turns have run.
class TurnsJob final : public caf::resumable {
 public:
  TurnsJob(std::vector<caf::resumable*> actors, BatchTurns::Prefetch prefetch)
      : actors_(std::move(actors)), prefetch_(prefetch) {}

  // A job the scheduler drops unrun (CAF stopping) still gives back the references it holds.
  ~TurnsJob() override {
    tsan::acquire(this);  // the job's list, written by the sending thread (CAF's job queue is invisible to TSan)
    for (caf::resumable* actor : actors_) tsan::give_back_ready_actor(actor);
  }
  TurnsJob(const TurnsJob&) = delete;
  TurnsJob& operator=(const TurnsJob&) = delete;

  subtype_t subtype() const override { return function_object; }

  resume_result resume(caf::execution_unit* worker, std::size_t max_throughput) override {
    tsan::acquire(this);  // see hand_to_workers
    const std::size_t n = actors_.size();
    for (std::size_t k = 0; k < n; ++k) {
      // Each actor's memory is a random user's (cache misses, one pointer after another): the next actors' are
      // loaded meanwhile, a level deeper the closer their turn.
      if (prefetch_ != nullptr) {
        for (int step = 0; step < BatchTurns::prefetch_steps; ++step) {
          const std::size_t ahead = k + static_cast<std::size_t>(BatchTurns::prefetch_steps - step);
          if (ahead < n) prefetch_(actors_[ahead], step);
        }
      }
      caf::resumable* actor = actors_[k];
      // As CAF's worker loop does for an actor it dequeued: more mail than one go takes goes back to the worker's
      // queue with the reference; otherwise the reference is given back.
      switch (actor->resume(worker, max_throughput)) {
        case resume_later:
          worker->exec_later(actor);
          break;
        case done:
        case awaiting_message:
        case shutdown_execution_unit:
          tsan::give_back_ready_actor(actor);
          break;
      }
    }
    actors_.clear();
    tsan::release(this);  // for the destructor, wherever the last reference goes
    return done;  // the worker then drops its reference: this job's last
  }

  void intrusive_ptr_add_ref_impl() override { refs_.fetch_add(1, std::memory_order_relaxed); }
  void intrusive_ptr_release_impl() override {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

 private:
  std::vector<caf::resumable*> actors_;
  BatchTurns::Prefetch prefetch_;
  std::atomic<std::size_t> refs_{1};  // the scheduler's, given with enqueue
};

}  // namespace

BatchTurns::~BatchTurns() { hand_to_workers(); }

void BatchTurns::hand_to_workers() {
  for (std::size_t first = 0; first < ready_.size(); first += actors_per_job_max) {
    const std::size_t last = std::min(ready_.size(), first + actors_per_job_max);
    auto* job = new TurnsJob(std::vector<caf::resumable*>(ready_.begin() + first, ready_.begin() + last), prefetch_);
    tsan::release(job);  // CAF's job queue hands the job over invisibly to ThreadSanitizer (actors/tsan_handoff.hpp)
    system().scheduler().enqueue(job);
  }
  ready_.clear();
}

}  // namespace tally
