// The change feed of one shard, in memory: every event derived from the durable log, numbered 1, 2, 3, ... in
// log order (seq), the newest `retention` of them kept in a ring. Appended by the WAL writer thread as records
// become durable (and by recovery, replaying the same records in the same order, so seq and content are the same
// after any restart); read by any thread. Readers that must wait block in wait_beyond on a thread of their own,
// never on an HTTP thread (rest/events_dispatcher.hpp).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

#include "feed/event.hpp"

namespace tally::feed {

struct EventFilter {
  std::uint32_t types = (1u << event_type_count) - 1;  // bit k: EventType k passes
  std::optional<UserId> user_id;
  bool matches(const Event& event) const;
};

struct FeedRead {
  enum class Status { ok, expired, ahead };
  Status status = Status::ok;
  std::vector<Event> events;  // ok: those after `after` that pass the filter, at most `limit`, in seq order
  std::uint64_t last = 0;     // ok: where the next read starts (past filtered-out events too)
  std::uint64_t oldest = 0;   // the oldest seq kept (expired: the cursor was before it)
  std::uint64_t newest = 0;   // the newest seq (ahead: the cursor was beyond it)
};

class FeedLog {
 public:
  FeedLog(std::size_t retention_events, int shard);
  FeedLog(const FeedLog&) = delete;
  FeedLog& operator=(const FeedLog&) = delete;

  // One writer at a time (the WAL thread; recovery before it): numbers the events (seq = newest + 1, ...; time
  // never below the previous event's), moves them in, and wakes waiting readers. Empties `events`.
  void append(std::vector<Event>& events);

  // Recovery's append, one event at a time and in place, before any reader or other writer exists (so without
  // the lock): place_next() gives the ring slot of the next event (seq newest + 1), which the caller overwrites
  // field by field (an overwritten slot keeps its string's capacity: no allocation per event once the ring has
  // wrapped); settle_placed() then numbers it and settles its time as append() does, before the next placing.
  Event& place_next();
  void settle_placed(Event& event);

  // Events after seq `after`: at most `limit` that pass the filter, looking at no more than
  // limits::feed_scan_events_max. A cursor older than the oldest kept event (after + 1 < oldest) is expired;
  // one beyond the newest event is ahead (it came from a different log).
  FeedRead read(std::uint64_t after, std::size_t limit, const EventFilter& filter) const;

  std::uint64_t newest_seq() const;
  std::uint64_t oldest_seq() const;  // newest + 1 while empty
  int shard() const { return shard_; }
  std::size_t retention() const { return retention_; }

  // Blocks until an event beyond `seq` exists, `until` passes or wake_all() is called; true if one exists.
  bool wait_beyond(std::uint64_t seq, std::chrono::steady_clock::time_point until) const;
  // Blocks until wake_all() has been called more than `wakes` times in all (true), or `until` passes (false);
  // appends do not wake it (a waiter with no readers to serve: no wake-up per commit).
  bool wait_for_wake(std::uint64_t wakes, std::chrono::steady_clock::time_point until) const;
  std::uint64_t wakes() const;  // wake_all() calls so far (the argument of wait_for_wake)
  void wake_all() const;

 private:
  std::uint64_t oldest_locked() const { return newest_ + 1 - ring_.size(); }
  const Event& at_locked(std::uint64_t seq) const { return ring_[(seq - 1) % retention_]; }

  const std::size_t retention_;
  const int shard_;
  mutable std::mutex mutex_;
  mutable std::condition_variable appended_;
  std::vector<Event> ring_;  // grows to retention_, then event seq lives at (seq - 1) % retention_
  std::uint64_t newest_ = 0;
  UtcMicros newest_time_ = 0;
  mutable std::uint64_t wakes_ = 0;  // wake_all() calls, so a waiter tells a wake from a spurious return
  mutable int beyond_waiters_ = 0;   // threads in wait_beyond: append notifies only when one waits for events
};

}  // namespace tally::feed
