// Readers of the change feed that wait: long-polls of GET /v1/events parked until an event passes their filter or
// their wait runs out, and GET /v1/events/stream's Server-Sent Events. One thread of its own serves them all, woken
// by the feed log as events are appended (and every limits::feed_dispatch_tick_ms for deadlines and heartbeats):
// no HTTP thread ever waits, and the write path pays one notify per durable entry.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "feed/feed_log.hpp"
#include "rest/http_connection.hpp"
#include "rest/responder.hpp"
#include "rest/server_state.hpp"

namespace tally::rest {

struct EventsQuery {
  std::uint64_t after = 0;
  std::size_t limit = 0;
  int wait_seconds = 0;
  feed::EventFilter filter;
};

class EventsDispatcher {
 public:
  EventsDispatcher(const feed::FeedLog& feed, std::shared_ptr<ServerState> state);
  ~EventsDispatcher();  // stop()
  EventsDispatcher(const EventsDispatcher&) = delete;
  EventsDispatcher& operator=(const EventsDispatcher&) = delete;

  void start();
  // Answers every parked reader (with what it has: no events), ends every stream, joins. Idempotent.
  void stop();

  // GET /v1/events: answers now when events pass (or wait is 0, or the cursor is refused); else parks it.
  void poll(const EventsQuery& query, ResponderPtr responder);
  // GET /v1/events/stream: refuses a bad cursor at once (410/422), else starts the stream.
  void stream(const EventsQuery& query, ResponderPtr responder);

  const feed::FeedLog& feed() const { return feed_; }
  std::size_t parked() const;
  std::size_t streams() const;

 private:
  struct Parked {
    EventsQuery query;
    ResponderPtr responder;
    std::int64_t deadline_ms;
  };
  struct Stream {
    EventsQuery query;  // after = the last seq sent (or skipped)
    std::shared_ptr<HttpStream> out;
    std::int64_t quiet_since_ms;  // last bytes sent: a heartbeat after limits::feed_stream_heartbeat_ms
  };

  void run();
  // One pass: true to keep a reader (parked or streaming), false once it was answered or ended.
  bool serve(Parked& reader, std::int64_t now_ms, bool stopping);
  bool serve(Stream& stream, std::int64_t now_ms, bool stopping);
  // With mutex_ held: whether no reader waits (the thread then sleeps until a wake, not at every commit) and
  // the feed's wake count to wait past.
  bool note_readerless_locked(std::uint64_t& wakes_seen);

  const feed::FeedLog& feed_;
  std::shared_ptr<ServerState> state_;
  mutable std::mutex mutex_;
  std::vector<Parked> parked_;   // added by HTTP threads, served by the thread
  std::vector<Stream> streams_;
  bool stopping_ = false;
  bool readerless_ = false;  // the thread's last pass left no reader: poll must wake it for a new one
  std::mutex join_mutex_;
  std::thread thread_;
};

// The answer for a read the log refused (410 cursor_expired, 422 cursor_ahead) or a page of events (200).
void answer_feed_read(Responder& responder, const feed::FeedRead& read, int shard);

}  // namespace tally::rest
