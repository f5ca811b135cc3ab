// EventsDispatcher: parked readers and streams in two vectors under one mutex; the thread swaps them out, serves
// them without the lock (reading the feed log, encoding, writing) and puts back those that go on.
#include "rest/events_dispatcher.hpp"

#include <pthread.h>

#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>

#include "ledger/limits.hpp"
#include "rest/events_json.hpp"
#include "rest/http_connection.hpp"
#include "rest/response_json.hpp"

namespace tally::rest {
namespace {

constexpr std::size_t stream_page_events = 1'000;  // events written to one stream per pass

std::string expired_body(const feed::FeedRead& read) {
  return "{\"error\":{\"code\":\"cursor_expired\",\"message\":\"events after this cursor are no longer kept; the "
         "oldest kept is seq " + std::to_string(read.oldest) + "\",\"oldest\":" + std::to_string(read.oldest) + "}}";
}

std::string ahead_body(const feed::FeedRead& read) {
  return "{\"error\":{\"code\":\"cursor_ahead\",\"message\":\"the newest event is seq " + std::to_string(read.newest) +
         ": this cursor is from another log\",\"newest\":" + std::to_string(read.newest) + "}}";
}

// One Server-Sent Event: "id: 7\nevent: transaction.applied\ndata: {…}\n\n" (the JSON has no newline).
void append_sse(std::string& out, const feed::Event& event, int shard) {
  out += "id: ";
  out += std::to_string(event.seq);
  out += "\nevent: ";
  out += feed::event_type_name(event.type);
  out += "\ndata: ";
  append_event(out, event, shard);
  out += "\n\n";
}

// A page ends the wait if it has events, or if the scan stopped short of the newest event (a narrow filter over
// a long stretch: the reader continues from `last` at once rather than wait for more).
bool answers_now(const feed::FeedRead& read) { return !read.events.empty() || read.last < read.newest; }

// A long-poll that finds a few events, all of them at the head of the log, while writes go on: a reader following
// the feed. Answered now, it would come back for the next few at once and cost one HTTP round trip per write or
// so; parked instead, the dispatcher's next pass answers it with everything that came meanwhile.
bool lingers(const EventsQuery& query, const feed::FeedRead& read) {
  return query.wait_seconds > 0 && !read.events.empty() && read.events.size() < query.limit &&
         read.last == read.newest;
}

}  // namespace

void answer_feed_read(Responder& responder, const feed::FeedRead& read, int shard) {
  switch (read.status) {
    case feed::FeedRead::Status::expired: return responder.send(410, expired_body(read));
    case feed::FeedRead::Status::ahead: return responder.send(422, ahead_body(read));
    case feed::FeedRead::Status::ok: return responder.send(200, events_page(read.events, read.last, shard));
  }
}

EventsDispatcher::EventsDispatcher(const feed::FeedLog& feed, std::shared_ptr<ServerState> state)
    : feed_(feed), state_(std::move(state)) {}

EventsDispatcher::~EventsDispatcher() { stop(); }

void EventsDispatcher::start() { thread_ = std::thread([this] { run(); }); }

void EventsDispatcher::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  feed_.wake_all();
  std::lock_guard<std::mutex> join(join_mutex_);
  if (thread_.joinable()) thread_.join();
}

std::size_t EventsDispatcher::parked() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return parked_.size();
}

std::size_t EventsDispatcher::streams() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return streams_.size();
}

void EventsDispatcher::poll(const EventsQuery& query, ResponderPtr responder) {
  const feed::FeedRead read = feed_.read(query.after, query.limit, query.filter);
  const bool answer_now = read.status != feed::FeedRead::Status::ok ||
                          (!lingers(query, read) && (answers_now(read) || query.wait_seconds == 0));
  if (answer_now) {
    answer_feed_read(*responder, read, feed_.shard());
    return;
  }
  Parked reader{query, std::move(responder), monotonic_ms() + query.wait_seconds * 1000LL};
  // Nothing passed up to here: the next pass starts after it. A lingering reader keeps its cursor: the next pass
  // (at most limits::feed_dispatch_interval_min_ms away) answers it with these events and those that came since.
  if (read.events.empty()) reader.query.after = read.last;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) {
      // Stopping: no waiting; what there is (nothing new) is the answer.
      reader.responder->send(200, events_page(read.events, read.last, feed_.shard()));
      return;
    }
    if (parked_.size() < limits::feed_parked_readers_max) {
      parked_.push_back(std::move(reader));
      // Lingering: the next pass must come without a new event. Readerless: the thread waits for a wake only.
      if (!read.events.empty() || readerless_) {
        readerless_ = false;
        feed_.wake_all();
      }
      return;
    }
  }
  // Too many waiting already: the reader is told when to come back.
  reader.responder->send(503, "{\"error\":{\"code\":\"too_many_readers\",\"message\":\"at most " +
                                  std::to_string(limits::feed_parked_readers_max) +
                                  " readers may wait at once; retry, or read without wait\"}}",
                         limits::http_retry_after_seconds);
}

void EventsDispatcher::stream(const EventsQuery& query, ResponderPtr responder) {
  const feed::FeedRead read = feed_.read(query.after, 0, query.filter);
  if (read.status != feed::FeedRead::Status::ok) {
    answer_feed_read(*responder, read, feed_.shard());
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!stopping_ && streams_.size() < limits::feed_streams_max) {
      Stream stream{query, responder->start_stream("text/event-stream"), monotonic_ms()};
      // Tells EventSource clients how soon to reconnect; also sends the head's bytes now.
      stream.out->write("retry: 1000\n\n");
      streams_.push_back(std::move(stream));
      feed_.wake_all();  // the thread sends what the log already holds after the cursor
      return;
    }
  }
  responder->send(503, "{\"error\":{\"code\":\"too_many_streams\",\"message\":\"at most " +
                           std::to_string(limits::feed_streams_max) + " event streams at once; retry later\"}}",
                  limits::http_retry_after_seconds);
}

void EventsDispatcher::run() {
  // Named so that its CPU can be told apart (top -H; bench/feed_cost.sh: what serving readers costs tallyd).
  pthread_setname_np(pthread_self(), "tally-feed");
  std::uint64_t seen = 0;
  std::vector<Parked> parked;
  std::vector<Stream> streams;
  std::uint64_t wakes_seen = 0;
  bool readerless = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    readerless = note_readerless_locked(wakes_seen);
  }
  for (;;) {
    const auto tick = std::chrono::steady_clock::now() + std::chrono::milliseconds(limits::feed_dispatch_tick_ms);
    if (readerless) {
      feed_.wait_for_wake(wakes_seen, tick);  // new events alone need no pass: nobody to send them to
    } else {
      feed_.wait_beyond(seen, tick);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(limits::feed_dispatch_interval_min_ms));
    seen = feed_.newest_seq();
    bool stopping;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping = stopping_;
      parked.swap(parked_);
      streams.swap(streams_);
    }
    stopping = stopping || state_->draining.load(std::memory_order_acquire);
    const std::int64_t now = monotonic_ms();
    try {
      parked.erase(std::remove_if(parked.begin(), parked.end(), [&](Parked& r) { return !serve(r, now, stopping); }),
                   parked.end());
      streams.erase(
          std::remove_if(streams.begin(), streams.end(), [&](Stream& s) { return !serve(s, now, stopping); }),
          streams.end());
    } catch (const std::exception& e) {  // out of memory, most likely: the readers are kept, the thread goes on
      spdlog::error("events dispatcher: {}", e.what());
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      // Added meanwhile by HTTP threads: after the ones already waiting.
      parked.insert(parked.end(), std::make_move_iterator(parked_.begin()), std::make_move_iterator(parked_.end()));
      streams.insert(streams.end(), std::make_move_iterator(streams_.begin()),
                     std::make_move_iterator(streams_.end()));
      parked_.swap(parked);
      streams_.swap(streams);
      parked.clear();
      streams.clear();
      if (stopping_ && parked_.empty() && streams_.empty()) return;
      readerless = note_readerless_locked(wakes_seen);
    }
  }
}

bool EventsDispatcher::note_readerless_locked(std::uint64_t& wakes_seen) {
  readerless_ = parked_.empty() && streams_.empty();
  // Read while mutex_ is held: a reader added after this point wakes the thread (poll, stream) and moves the
  // count past this value, so the wait that follows cannot miss it.
  wakes_seen = feed_.wakes();
  return readerless_;
}

bool EventsDispatcher::serve(Parked& reader, std::int64_t now_ms, bool stopping) {
  const feed::FeedRead read = feed_.read(reader.query.after, reader.query.limit, reader.query.filter);
  if (read.status != feed::FeedRead::Status::ok || answers_now(read) || stopping || now_ms >= reader.deadline_ms) {
    answer_feed_read(*reader.responder, read, feed_.shard());
    return false;
  }
  reader.query.after = read.last;
  return true;
}

bool EventsDispatcher::serve(Stream& stream, std::int64_t now_ms, bool stopping) {
  const int shard = feed_.shard();
  std::string out;
  for (;;) {
    const feed::FeedRead read = feed_.read(stream.query.after, stream_page_events, stream.query.filter);
    if (read.status == feed::FeedRead::Status::expired) {
      // It fell further behind than the log keeps: say so, and end; the client resumes with its own cursor.
      out += "event: error\ndata: ";
      out += expired_body(read);
      out += "\n\n";
      stream.out->write(out);
      stream.out->close();
      return false;
    }
    for (const feed::Event& event : read.events) append_sse(out, event, shard);
    const bool more = read.last > stream.query.after && read.last < read.newest;
    stream.query.after = read.last;
    if (!more || out.size() >= limits::feed_stream_unsent_bytes_max / 4) break;
  }
  if (out.empty() && now_ms - stream.quiet_since_ms >= limits::feed_stream_heartbeat_ms) out = ": heartbeat\n\n";
  if (!out.empty()) {
    if (!stream.out->write(out)) return false;  // the client left
    stream.quiet_since_ms = now_ms;
  }
  if (stopping) {
    stream.out->close();
    return false;
  }
  return true;
}

}  // namespace tally::rest
