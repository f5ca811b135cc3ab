// Tells ThreadSanitizer about the happens-before edges CAF guarantees but TSan cannot see: Debian's libcaf_core
// is not built with -fsanitize=thread, so its mailbox and scheduler synchronise invisibly. Without these marks
// a message's contents, and an actor's own state once work stealing moves it to another worker, all show as
// races (scripts/sanitize.sh thread). Outside a TSan build every function here is empty and inlined away.
#pragma once

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

}  // namespace tally::tsan
