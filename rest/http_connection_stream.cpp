// HttpConnection's streaming answer (Server-Sent Events): a head that goes out in order like any answer, then
// bytes as the writer gives them, buffered (bounded) while the socket is full, until the stream closes.
#include <string>
#include <string_view>

#include "ledger/assert.hpp"
#include "ledger/limits.hpp"
#include "rest/http_connection.hpp"

namespace tally::rest {

void HttpConnection::answer_stream(std::uint64_t slot, std::string head) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!open_ || shut_) return;
  Slot& target = slot_locked(slot);
  TALLY_ASSERT(!target.ready, "each slot is answered once");
  target.bytes = std::move(head);
  target.ready = true;
  target.close_after = true;  // nothing is read after a stream
  target.stream = true;
  flush_locked();
}

bool HttpConnection::stream_write(std::string_view bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!open_ || shut_ || stream_closed_) return false;
  const std::size_t unsent = stream_buffer_.size() + (writing_ ? pending_.size() - pending_offset_ : 0);
  if (unsent + bytes.size() > limits::feed_stream_unsent_bytes_max) {
    shut_down_locked();  // it does not keep up: better a closed stream it can resume than unbounded memory
    return false;
  }
  stream_buffer_.append(bytes);
  if (streaming_ && !writing_) write_stream_locked();
  return open_ && !shut_;
}

void HttpConnection::stream_close() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!open_ || shut_ || stream_closed_) return;
  stream_closed_ = true;
  if (streaming_ && !writing_) write_stream_locked();
}

void HttpConnection::write_stream_locked() {
  TALLY_ASSERT(streaming_ && !writing_, "stream bytes follow the stream's head, one write at a time");
  if (!stream_buffer_.empty()) {
    std::string bytes = std::move(stream_buffer_);
    stream_buffer_.clear();
    if (!write_locked(std::move(bytes))) return;  // on_writable() continues
  }
  if (stream_closed_) begin_linger_locked();
}

}  // namespace tally::rest
