// HttpConnection's answers: each goes into its slot and out in request order, written straight to the socket;
// when the socket is full the rest waits for writability (WriteWaiter) and the later answers wait behind it.
#include <sys/socket.h>

#include <cerrno>
#include <string>
#include <utility>

#include "ledger/assert.hpp"
#include "rest/http_connection.hpp"
#include "rest/http_response.hpp"

namespace tally::rest {

void HttpConnection::answer(std::uint64_t slot, std::string bytes, bool close_after) {
  bool resume = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!open_ || shut_) return;  // too late: the client is gone (and the descriptor may be someone else's)
    Slot& target = slot_locked(slot);
    TALLY_ASSERT(!target.ready, "each slot is answered once");
    target.bytes = std::move(bytes);
    target.ready = true;
    target.close_after = close_after;
    flush_locked();
    resume = !parsing_ && reading_ && !backlog_.empty() && !paused_locked();
  }
  if (resume) resume_parsing();  // this answer freed a place in a full pipeline
}

void HttpConnection::flush_locked() {
  while (open_ && !shut_ && !writing_ && !lingering_ && !slots_.empty()) {
    Slot& front = slots_.front();
    if (!front.ready) {
      if (!front.wants_continue) return;
      front.wants_continue = false;
      if (!write_locked(std::string(continue_response))) return;
      continue;
    }
    std::string bytes = std::move(front.bytes);
    const bool close_after = front.close_after;
    const bool stream = front.stream;
    slots_.pop_front();
    ++first_slot_;
    answered_any_ = true;
    if (close_after) {
      closing_ = !stream;  // a stream closes when it ends, not after its head
      streaming_ = stream;
      reading_ = false;
      backlog_.clear();
      TALLY_ASSERT(slots_.empty(), "nothing is read after a closing answer");
    }
    if (!write_locked(std::move(bytes))) return;
    if (continue_after_write_locked()) return;
  }
  if (slots_.empty() && !writing_) idle_since_ms_ = monotonic_ms();
}

bool HttpConnection::write_locked(std::string bytes) {
  TALLY_ASSERT(open_ && !writing_, "one write at a time, to an open descriptor");
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t sent = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent > 0) {
      done += static_cast<std::size_t>(sent);
    } else if (sent < 0 && errno == EINTR) {
      continue;
    } else if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      break;
    } else {
      shut_down_locked();  // the client is gone; Pistache reports the disconnect
      return false;
    }
  }
  if (done == bytes.size()) return true;
  pending_ = std::move(bytes);
  pending_offset_ = done;
  writing_ = true;
  write_since_ms_ = monotonic_ms();
  context_->write_waiter->wait_writable(fd_, id_);
  return false;
}

bool HttpConnection::continue_after_write_locked() {
  if (closing_) {
    begin_linger_locked();
    return true;
  }
  if (streaming_) {
    write_stream_locked();
    return true;
  }
  return false;
}

void HttpConnection::on_writable() {
  bool resume = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!open_ || shut_ || !writing_) return;
    std::string rest = std::move(pending_);
    rest.erase(0, pending_offset_);
    writing_ = false;
    pending_offset_ = 0;
    if (!write_locked(std::move(rest))) return;  // still full (waiting again) or failed
    if (continue_after_write_locked()) return;
    flush_locked();
    resume = !parsing_ && reading_ && !backlog_.empty() && !paused_locked();
  }
  if (resume) resume_parsing();
}

}  // namespace tally::rest
