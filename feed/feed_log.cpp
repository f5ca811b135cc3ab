// FeedLog: a ring under one mutex. Appends hold it for a batch's moves; reads copy at most a page out of it.
#include "feed/feed_log.hpp"

#include <algorithm>

#include "ledger/assert.hpp"
#include "ledger/limits.hpp"

namespace tally::feed {

bool EventFilter::matches(const Event& event) const {
  if ((types & (1u << static_cast<unsigned>(event.type))) == 0) return false;
  return !user_id || *user_id == event.user_id;
}

FeedLog::FeedLog(std::size_t retention_events, int shard) : retention_(retention_events), shard_(shard) {
  TALLY_ASSERT(retention_ > 0, "the feed keeps at least one event");
}

void FeedLog::append(std::vector<Event>& events) {
  if (events.empty()) return;
  bool waited_for = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    waited_for = beyond_waiters_ > 0;
    for (Event& event : events) {
      event.seq = ++newest_;
      // Acceptance times of different users can interleave in log order by a few ms: the feed's time is
      // non-decreasing in seq, a pure function of the log like seq itself.
      event.time = std::max(event.time, newest_time_);
      newest_time_ = event.time;
      if (ring_.size() < retention_) {
        TALLY_ASSERT(ring_.size() + 1 == event.seq, "the ring fills in seq order");
        ring_.push_back(std::move(event));
      } else {
        ring_[(event.seq - 1) % retention_] = std::move(event);
      }
    }
  }
  events.clear();
  // Called on the WAL thread at every commit: a notify with a sleeper waiting only for wake_all() would cost a
  // futex call here and a pointless wake-up there.
  if (waited_for) appended_.notify_all();
}

Event& FeedLog::place_next() {
  const std::uint64_t seq = ++newest_;
  if (ring_.size() < retention_) {
    TALLY_ASSERT(ring_.size() + 1 == seq, "the ring fills in seq order");
    return ring_.emplace_back();
  }
  return ring_[(seq - 1) % retention_];
}

void FeedLog::settle_placed(Event& event) {
  TALLY_ASSERT(&event == &ring_[(newest_ - 1) % retention_], "the event settled is the one placed last");
  event.seq = newest_;
  event.time = std::max(event.time, newest_time_);
  newest_time_ = event.time;
}

FeedRead FeedLog::read(std::uint64_t after, std::size_t limit, const EventFilter& filter) const {
  FeedRead out;
  std::unique_lock<std::mutex> lock(mutex_);
  out.oldest = oldest_locked();
  out.newest = newest_;
  if (after + 1 < out.oldest) {
    out.status = FeedRead::Status::expired;
    return out;
  }
  if (after > newest_) {
    out.status = FeedRead::Status::ahead;
    return out;
  }
  const std::uint64_t scan_end = std::min<std::uint64_t>(newest_, after + limits::feed_scan_events_max);
  out.events.reserve(std::min<std::uint64_t>(limit, scan_end - after));
  std::uint64_t seq = after;
  while (seq < scan_end && out.events.size() < limit) {
    // The WAL thread appends under this lock: a long scan lets it in between chunks. Events the ring dropped
    // meanwhile end the read where it is; the next one from `last` then gets its 410.
    if (seq > after && (seq - after) % limits::feed_scan_chunk_events == 0) {
      lock.unlock();
      lock.lock();
      if (seq + 1 < oldest_locked()) break;
    }
    const Event& event = at_locked(++seq);
    TALLY_ASSERT(event.seq == seq, "the ring holds each kept seq at its place");
    if (filter.matches(event)) out.events.push_back(event);
  }
  out.last = seq;
  return out;
}

std::uint64_t FeedLog::newest_seq() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return newest_;
}

std::uint64_t FeedLog::oldest_seq() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return oldest_locked();
}

bool FeedLog::wait_beyond(std::uint64_t seq, std::chrono::steady_clock::time_point until) const {
  std::unique_lock<std::mutex> lock(mutex_);
  const std::uint64_t wakes = wakes_;
  ++beyond_waiters_;
  appended_.wait_until(lock, until, [&] { return newest_ > seq || wakes_ != wakes; });
  --beyond_waiters_;
  return newest_ > seq;
}

bool FeedLog::wait_for_wake(std::uint64_t wakes, std::chrono::steady_clock::time_point until) const {
  std::unique_lock<std::mutex> lock(mutex_);
  return appended_.wait_until(lock, until, [&] { return wakes_ != wakes; });
}

std::uint64_t FeedLog::wakes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return wakes_;
}

void FeedLog::wake_all() const {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++wakes_;
  }
  appended_.notify_all();
}

}  // namespace tally::feed
