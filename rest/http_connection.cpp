// HttpConnection: the parse token and the input it parses, the answer slots, lingering close, and the timeouts
// checked by the server's tick. Answers and writing are in http_connection_write.cpp, streams in _stream.cpp.
#include "rest/http_connection.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <ctime>  // clock_gettime
#include <utility>

#include <spdlog/spdlog.h>

#include "ledger/assert.hpp"
#include "ledger/limits.hpp"
#include "rest/http_response.hpp"
#include "rest/request_metrics.hpp"
#include "rest/responder.hpp"

namespace tally::rest {

namespace {

using Event = HttpRequestParser::Event;
using Phase = HttpRequestParser::Phase;

// The most input a connection holds while another thread parses: one largest request.
constexpr std::size_t backlog_while_parsing_bytes_max = limits::batch_request_body_bytes_max +
                                                        limits::http_request_line_bytes_max +
                                                        limits::http_header_bytes_max;

ApiError timeout_error(const char* part, int limit_ms) {
  return {408, "request_timeout",
          std::string("the request ") + part + " did not arrive within " + std::to_string(limit_ms) + " ms"};
}

}  // namespace

std::int64_t monotonic_ms() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
  return static_cast<std::int64_t>(now.tv_sec) * 1000 + now.tv_nsec / 1'000'000;
}

namespace {
// The peer's IP address as text (IPv4 or IPv6, no port); "" for a socket that has none (a socketpair in tests).
std::string peer_address_of(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return {};
  char text[INET6_ADDRSTRLEN] = {};
  const void* raw = nullptr;
  if (address.ss_family == AF_INET) raw = &reinterpret_cast<const sockaddr_in*>(&address)->sin_addr;
  if (address.ss_family == AF_INET6) raw = &reinterpret_cast<const sockaddr_in6*>(&address)->sin6_addr;
  if (raw == nullptr || ::inet_ntop(address.ss_family, raw, text, sizeof text) == nullptr) return {};
  return text;
}
}  // namespace

HttpConnection::HttpConnection(std::uint64_t id, int fd, std::shared_ptr<const ConnectionContext> context)
    : id_(id),
      fd_(fd),
      peer_address_(peer_address_of(fd)),
      context_(std::move(context)),
      parser_(context_->parser_limits),
      phase_since_ms_(monotonic_ms()),
      idle_since_ms_(phase_since_ms_) {
  TALLY_ASSERT(context_->handler != nullptr && context_->write_waiter != nullptr,
               "a connection has a handler and a write waiter");
}

// ---------------------------------------------------------------------------------------------------------------
// Input and parsing

void HttpConnection::on_input(const char* data, std::size_t size) {
  {
    // Needed: the parse token may be held by an answering thread (resume_parsing), and reading_, backlog_ and
    // the pipeline's depth are written by answering threads.
    std::lock_guard<std::mutex> lock(mutex_);
    if (!reading_) return;  // after the last request or an error, and while lingering: dropped
    if (parsing_ || !backlog_.empty() || paused_locked()) {
      hold_input_locked(data, size);
      return;
    }
    parsing_ = true;
  }
  run_parser(data, size);  // straight from Pistache's buffer: no copy unless parsing pauses
}

void HttpConnection::hold_input_locked(const char* data, std::size_t size) {
  if (!parsing_ && paused_locked()) {
    // Paused at the pipeline depth: the client is far ahead of its answers. Held input is bounded; beyond it the
    // client learns, in order, that the rest of the connection was not read.
    if (backlog_.size() + size > limits::http_pipeline_backlog_bytes_max) {
      fail_locked({503, "pipeline_overflow",
                   "more than " + std::to_string(limits::http_pipeline_backlog_bytes_max) +
                       " bytes of pipelined requests arrived ahead of their answers; this request and later ones "
                       "on the connection were not read"});
      return;
    }
  } else if (backlog_.size() + size > backlog_while_parsing_bytes_max) {
    // Another thread is parsing (or about to resume) and takes this next: it only grows while that thread
    // stalls. Bounded anyway by the largest request there is; the answer slot belongs to that thread, so this
    // ends the connection unanswered.
    shut_down_locked();
    return;
  }
  backlog_.append(data, size);
}

void HttpConnection::run_parser(const char* data, std::size_t size) {
  std::string held;
  for (;;) {
    std::size_t used = 0;
    try {
      used = parse_input(data, size);
    } catch (const std::exception& e) {
      // Out of memory, most likely: the parse state is unknown, so the connection ends (and the token with it).
      // Nothing is thrown on: this may run on an actor or WAL thread that completed an answer.
      spdlog::error("connection {}: parsing failed: {}", id_, e.what());
      std::lock_guard<std::mutex> lock(mutex_);
      parsing_ = false;
      if (open_) shut_down_locked();
      return;
    }
    // Needed: releasing the token (or taking the backlog that arrived meanwhile) must be atomic with the other
    // threads' look at parsing_ and backlog_, or input held by on_input could be left unparsed.
    std::lock_guard<std::mutex> lock(mutex_);
    // What was not parsed goes before anything that arrived meanwhile.
    if (used < size && reading_) backlog_.insert(0, data + used, size - used);
    if (!take_token_for_backlog(held)) return;
    data = held.data();
    size = held.size();
  }
}

bool HttpConnection::take_token_for_backlog(std::string& into) {
  if (!open_ || !reading_ || backlog_.empty() || paused_locked()) {
    parsing_ = false;
    return false;
  }
  parsing_ = true;
  into.swap(backlog_);
  backlog_.clear();
  return true;
}

void HttpConnection::resume_parsing() {
  std::string held;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (parsing_ || !take_token_for_backlog(held)) return;
  }
  run_parser(held.data(), held.size());
}

std::size_t HttpConnection::parse_input(const char* data, std::size_t size) {
  std::size_t used = 0;
  while (used < size) {
    const HttpRequestParser::Step step = parser_.feed(data + used, size - used);
    used += step.consumed;
    note_phase();
    switch (step.event) {
      case Event::need_more:
        break;
      case Event::head:
        on_head();
        break;
      case Event::request:
        if (!on_request(used < size)) return used;
        break;
      case Event::error: {
        std::lock_guard<std::mutex> lock(mutex_);
        fail_locked(parser_.error());
        return used;
      }
    }
  }
  return used;
}

void HttpConnection::note_phase() {
  const Phase phase = parser_.phase();
  if (phase == phase_) return;
  phase_ = phase;
  phase_since_ms_ = monotonic_ms();
}

void HttpConnection::on_head() {
  // Needed: the slot joins slots_, which answering threads pop and index; from here the request owns a place in
  // the pipeline (a head read is always read to its end).
  std::lock_guard<std::mutex> lock(mutex_);
  reading_slot_ = new_slot_locked();
  if (parser_.continue_expected()) {
    slot_locked(*reading_slot_).wants_continue = true;
    flush_locked();
  }
}

bool HttpConnection::on_request(bool more_input) {
  const HttpRequest& request = parser_.request();
  TALLY_ASSERT(reading_slot_.has_value(), "a complete request had its head read into a slot");
  // No lock: while parsing_ is set only this thread (the token holder) writes reading_slot_, and every other
  // thread reads it (paused_locked, fail_locked) only after seeing parsing_ clear under the mutex, which this
  // thread clears under the mutex after this write.
  const std::uint64_t slot = *reading_slot_;
  reading_slot_.reset();
  context_->handler->handle(request, std::make_shared<Responder>(shared_from_this(), slot, request.keep_alive,
                                                                 request.method == HttpMethod::head,
                                                                 context_->state));
  // A kept-alive request that ended the input: run_parser takes the mutex next anyway and its token check reads
  // the same state (open_, reading_, the pipeline's depth), so the mutex is not taken twice in a row here.
  if (request.keep_alive && !more_input) return true;
  std::lock_guard<std::mutex> lock(mutex_);
  if (!request.keep_alive) {
    reading_ = false;  // its answer closes the connection; anything sent after it is not read
    backlog_.clear();
  }
  return open_ && reading_ && !pipeline_full_locked();
}

// ---------------------------------------------------------------------------------------------------------------
// Closing and timeouts

void HttpConnection::fail_locked(const ApiError& error) {
  reading_ = false;
  backlog_.clear();
  if (!open_) return;
  // Refused before any route took it: counted under route "none" (no duration: there was no whole request).
  if (const RestMetrics* metrics = context_->state->metrics.get())
    metrics->http.record(metrics->http.none_label(), error.status, 0);
  const std::uint64_t slot = reading_slot_ ? *reading_slot_ : new_slot_locked();
  reading_slot_.reset();
  Slot& target = slot_locked(slot);
  ResponseOptions options;
  options.keep_alive = false;  // after a protocol error the stream cannot be trusted
  target.bytes = render_error(error, options);
  target.ready = true;
  target.close_after = true;
  flush_locked();
}

// RFC 9112 9.6: close the write side first and keep reading for a while, so the client sees the last answer
// rather than a reset caused by request bytes it was still sending.
void HttpConnection::begin_linger_locked() {
  ::shutdown(fd_, SHUT_WR);
  lingering_ = true;
  reading_ = false;
  backlog_.clear();
  linger_until_ms_ = monotonic_ms() + limits::http_close_linger_ms;
}

// Pistache owns the descriptor: shutting both directions makes its reactor read EOF and close it.
void HttpConnection::shut_down_locked() {
  TALLY_ASSERT(open_, "shut down only while the descriptor is ours");
  if (shut_) return;
  shut_ = true;
  reading_ = false;
  backlog_.clear();
  ::shutdown(fd_, SHUT_RDWR);
}

void HttpConnection::on_disconnect() {
  std::lock_guard<std::mutex> lock(mutex_);
  open_ = false;
  reading_ = false;
  backlog_.clear();
  slots_.clear();
  first_slot_ = next_slot_;
  pending_.clear();
  writing_ = false;
  stream_buffer_.clear();
}

void HttpConnection::shut_down() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (open_ && !shut_) shut_down_locked();
  open_ = false;
}

void HttpConnection::on_tick(std::int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!open_ || shut_) return;
  if (lingering_) {
    if (now_ms >= linger_until_ms_) shut_down_locked();
    return;
  }
  if (writing_) {
    if (now_ms - write_since_ms_ > limits::http_write_timeout_ms) shut_down_locked();  // it does not read
    return;
  }
  // Busy parsing, owed answers only, or paused for our own answers: nothing to time out on the client.
  if (parsing_ || !reading_ || paused_locked()) return;
  if (phase_ == Phase::head) {
    if (now_ms - phase_since_ms_ > limits::http_header_timeout_ms) {
      fail_locked(timeout_error("head", limits::http_header_timeout_ms));
    }
  } else if (phase_ == Phase::body) {
    if (now_ms - phase_since_ms_ > limits::http_body_timeout_ms) {
      fail_locked(timeout_error("body", limits::http_body_timeout_ms));
    }
  } else if (slots_.empty()) {
    // Idle: a fresh connection gets as long as a head would; a kept-alive one, the keep-alive time.
    const std::int64_t limit = answered_any_ ? limits::http_keepalive_idle_ms : limits::http_header_timeout_ms;
    if (now_ms - std::max(idle_since_ms_, phase_since_ms_) > limit) shut_down_locked();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Slots

std::uint64_t HttpConnection::new_slot_locked() {
  TALLY_ASSERT(first_slot_ + slots_.size() == next_slot_, "slots are numbered without gaps");
  slots_.emplace_back();
  return next_slot_++;
}

HttpConnection::Slot& HttpConnection::slot_locked(std::uint64_t slot) {
  TALLY_ASSERT(slot >= first_slot_ && slot - first_slot_ < slots_.size(), "an answer for an unanswered slot");
  return slots_[static_cast<std::size_t>(slot - first_slot_)];
}

bool HttpConnection::pipeline_full_locked() const { return slots_.size() >= limits::http_pipeline_depth_max; }

// Parsing stops only between requests: a request whose head was read is always read to its end.
bool HttpConnection::paused_locked() const { return pipeline_full_locked() && !reading_slot_.has_value(); }

}  // namespace tally::rest
