// Tells ThreadSanitizer about the happens-before edges CAF guarantees but TSan cannot see: Debian's libcaf_core
// is not built with -fsanitize=thread, so its mailbox and scheduler synchronise invisibly. Without these marks
// a message's contents, and an actor's own state once work stealing moves it to another worker, all show as
// races (scripts/sanitize.sh thread). Outside a TSan build every mark here is empty and inlined away, and
// give_back_ready_actor is only the reference drop it states.
#pragma once

#include <caf/actor_control_block.hpp>
#include <caf/resumable.hpp>
#include <caf/scheduled_actor.hpp>

#if defined(__SANITIZE_THREAD__)
#define TALLY_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TALLY_TSAN 1
#endif
#endif

#ifdef TALLY_TSAN
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
#endif

namespace tally::tsan {

// Everything this thread did so far happens before whatever later acquires `sync` (call before a send/spawn).
inline void release([[maybe_unused]] const void* sync) {
#ifdef TALLY_TSAN
  __tsan_release(const_cast<void*>(sync));
#endif
}

inline void acquire([[maybe_unused]] const void* sync) {
#ifdef TALLY_TSAN
  __tsan_acquire(const_cast<void*>(sync));
#endif
}

// One turn of an actor (a handler run): it sees every release on `sync` before it, i.e. the sends of the
// messages it handles and the previous turns, wherever they ran; its own work is released when it ends.
class ActorTurn {
 public:
  explicit ActorTurn(const void* sync) : sync_(sync) { acquire(sync_); }
  ~ActorTurn() { release(sync_); }
  ActorTurn(const ActorTurn&) = delete;
  ActorTurn& operator=(const ActorTurn&) = delete;

 private:
  const void* sync_;
};

// Gives back the reference CAF took for an actor it made ready, once this thread is done running it (an execution
// unit's exec_later is only handed actors: CAF's scheduled_actor::enqueue passes itself). Not through
// caf::intrusive_ptr_release(resumable*): its virtual call reads the actor (the vtable pointer) in instrumented
// code after the turn, and when another CAF thread then drops the last reference and frees the actor, CAF's
// reference count (libcaf_core, not instrumented) orders the two where TSan cannot see it. So: this thread's work
// on the actor is released on the actor's own address (its abstract_actor base, which UserActor's marks use:
// ~UserActor acquires it before its memory goes), then the count drops in libcaf_core through the actor's control
// block, found by address arithmetic alone.
inline void give_back_ready_actor(caf::resumable* ready) {
  caf::abstract_actor* actor = static_cast<caf::scheduled_actor*>(ready);
  release(actor);
  caf::intrusive_ptr_release(caf::actor_control_block::from(actor));
}

}  // namespace tally::tsan
