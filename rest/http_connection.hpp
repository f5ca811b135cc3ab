// One client connection at the HTTP edge: its parser, its answers in request order (pipelining), keep-alive,
// timeouts and closing. Pistache's reactor thread feeds it input; answers arrive from any thread (HTTP, actor,
// WAL) in any order and are written only once every earlier answer on the connection is written.
//
// Threads: input is parsed by whichever thread holds the connection's parse token (the reactor thread, or the
// thread whose answer freed a pipeline place); everything else is under the connection's mutex. The descriptor
// is used only under that mutex while `open_`: Pistache closes it after on_disconnect() clears `open_`, so a late
// answer can never reach a different connection that reused the descriptor number.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "rest/api_error.hpp"
#include "rest/http_request_parser.hpp"
#include "rest/server_state.hpp"

namespace tally::rest {

class Responder;
using ResponderPtr = std::shared_ptr<Responder>;

// Monotonic milliseconds (coarse: a few ms of resolution is plenty for timeouts of seconds).
std::int64_t monotonic_ms();

// Where complete requests go: the routes.
class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // `request` is valid only during the call; the answer goes through `responder`, now or later, from any thread.
  virtual void handle(const HttpRequest& request, ResponderPtr responder) = 0;
};

// Told when a connection's socket is full, to call HttpConnection::on_writable() once it takes bytes again.
class WriteWaiter {
 public:
  virtual ~WriteWaiter() = default;
  virtual void wait_writable(int fd, std::uint64_t connection_id) = 0;
};

// What every connection of a server shares. Outlives each connection (held by shared_ptr).
struct ConnectionContext {
  RequestHandler* handler = nullptr;
  WriteWaiter* write_waiter = nullptr;
  std::shared_ptr<ServerState> state;
  HttpParserLimits parser_limits;
};

class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  HttpConnection(std::uint64_t id, int fd, std::shared_ptr<const ConnectionContext> context);
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  std::uint64_t id() const { return id_; }
  const std::string& peer_address() const { return peer_address_; }  // the client's IP, "" if not IP

  // The reactor thread that owns the socket.
  void on_input(const char* data, std::size_t size);
  void on_disconnect();  // the descriptor is closed right after this returns

  // Any thread.
  void answer(std::uint64_t slot, std::string bytes, bool close_after);  // each slot exactly once
  // A streaming answer (Server-Sent Events), the connection's last: `head` goes out in order like any answer
  // (it must say Connection: close and carry no length); then stream_write's bytes follow as they come, until
  // stream_close() (the connection then closes as after any last answer) or the client leaves.
  void answer_stream(std::uint64_t slot, std::string head);
  // False once the connection is gone, or when the client leaves more than
  // limits::feed_stream_unsent_bytes_max unread (it is closed): the writer stops.
  bool stream_write(std::string_view bytes);
  void stream_close();
  void on_writable();                                                    // after wait_writable()
  void on_tick(std::int64_t now_ms);                                     // timeouts, every few hundred ms
  void shut_down();                                                      // server stop: no further answers

 private:
  struct Slot {
    std::string bytes;
    bool ready = false;
    bool close_after = false;
    bool wants_continue = false;  // "100 Continue" goes out once this is the oldest unanswered request
    bool stream = false;          // a streaming answer's head: the stream's bytes follow it
  };

  // Parsing, with the parse token held.
  void run_parser(const char* data, std::size_t size);
  std::size_t parse_input(const char* data, std::size_t size);
  void on_head();
  // False: stop parsing (pipeline full, last request, or connection gone). `more_input`: bytes follow the
  // request in what is being parsed (then the pipeline's depth is checked here, else by run_parser's token check).
  bool on_request(bool more_input);
  void note_phase();
  bool take_token_for_backlog(std::string& into);  // with the mutex held; true: the caller parses `into`
  void resume_parsing();

  // Everything below with mutex_ held.
  std::uint64_t new_slot_locked();
  Slot& slot_locked(std::uint64_t slot);
  bool pipeline_full_locked() const;
  bool paused_locked() const;  // at full depth between requests: input is held, not parsed
  void hold_input_locked(const char* data, std::size_t size);
  void fail_locked(const ApiError& error);
  void flush_locked();
  bool write_locked(std::string bytes);  // true: all written now; else pending (or the connection failed)
  void begin_linger_locked();
  void write_stream_locked();  // streaming: what stream_write buffered, once the socket takes it
  // After a write went out whole: a closing answer lingers, a stream writes on (true); else nothing to do (false).
  bool continue_after_write_locked();
  void shut_down_locked();

  const std::uint64_t id_;
  const int fd_;
  const std::string peer_address_;
  const std::shared_ptr<const ConnectionContext> context_;
  HttpRequestParser parser_;  // the token holder's
  HttpRequestParser::Phase phase_ = HttpRequestParser::Phase::idle;  // written by the token holder
  std::int64_t phase_since_ms_;                                     // written by the token holder

  std::mutex mutex_;
  bool open_ = true;      // until Pistache reports the disconnect
  bool reading_ = true;   // input is parsed; false after the last request, an error, or when closing
  bool parsing_ = false;  // the parse token
  std::string backlog_;   // input that arrived while parsing was paused or busy in another thread
  std::deque<Slot> slots_;     // answers not yet written, oldest first
  std::optional<std::uint64_t> reading_slot_;  // the slot of the request whose head is read and body is not
  std::uint64_t first_slot_ = 0;  // the slot number of slots_.front()
  std::uint64_t next_slot_ = 0;
  std::string pending_;           // the unwritten rest of an answer, waiting for the socket
  std::size_t pending_offset_ = 0;
  bool writing_ = false;          // pending_ holds bytes
  std::int64_t write_since_ms_ = 0;
  bool closing_ = false;          // the connection's last answer was taken: linger once it is written
  bool lingering_ = false;        // write side shut; input read and dropped until the client closes
  std::int64_t linger_until_ms_ = 0;
  bool shut_ = false;             // shutdown(SHUT_RDWR) done; waiting for the disconnect
  bool answered_any_ = false;     // the idle limit is keep-alive's, not the first head's
  bool streaming_ = false;        // a stream's head is written: stream bytes go out as they come
  bool stream_closed_ = false;    // stream_close() was called: close once the stream's bytes are out
  std::string stream_buffer_;     // stream bytes not yet handed to the socket
  std::int64_t idle_since_ms_;    // no answer owed since then
};

}  // namespace tally::rest
