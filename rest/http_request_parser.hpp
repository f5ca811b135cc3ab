// HTTP/1.1 request parsing for the edge (RFC 9112), with no sockets: bytes go in, in any split, and complete
// requests or one error come out. Built on nodejs http_parser 2.9.4 (libhttp-parser-dev), chosen over
// Boost.Beast's parser for its zero-copy streaming callbacks: it never buffers input, costs time linear in the
// bytes fed, and accepts any split, so memory here is what the request really holds (target, a few headers,
// body) and the limits below are checked as the bytes arrive. The checks http_parser leaves to its user (Host,
// transfer codings, bare LF and obs-fold, the route's body limit, header counts and sizes) are made here, and so
// are those where it is more lenient than RFC 9112 allows an edge behind other proxies to be: the request line's
// grammar (it reads "GET  /x" and "GET /x" without a version) and a chunked body's framing (it skips chunk
// extensions unchecked and takes any byte after CR as LF). A plain head complete in one read skips all of this:
// rest/http_request_fast.cpp reads it to exactly the same result, or declines it to this path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/limits.hpp"
#include "rest/api_error.hpp"
#include "rest/http_request.hpp"

namespace tally::rest {

// The largest body a route accepts, from the request head alone.
using BodyLimitFn = std::size_t (*)(HttpMethod method, std::string_view path);

struct HttpParserLimits {
  std::size_t request_line_bytes_max = limits::http_request_line_bytes_max;
  std::size_t header_bytes_max = limits::http_header_bytes_max;
  std::size_t header_count_max = limits::http_header_count_max;
  std::size_t kept_header_count_max = limits::http_kept_header_count_max;
  std::size_t chunk_framing_bytes_max = limits::http_chunk_framing_bytes_max;
  BodyLimitFn body_bytes_max = nullptr;  // required
  // Plain heads are read by the fast path (rest/http_request_fast.cpp) instead of http_parser; off only in the
  // tests that compare the two.
  bool fast_path = true;
};

class HttpRequestParser {
 public:
  enum class Event : std::uint8_t {
    need_more,  // every byte given was consumed; feed more
    head,       // a valid head: request() has all but the body, which follows
    request,    // a complete request: request() is it, until the next feed()
    error,      // the stream is not acceptable HTTP: error() says why; feed no more
  };
  // Where the parser stands between calls, for timeouts.
  enum class Phase : std::uint8_t { idle, head, body };

  struct Step {
    Event event;
    std::size_t consumed;  // bytes of the input used; the rest must be fed again (after handling the event)
  };

  explicit HttpRequestParser(const HttpParserLimits& limits);
  ~HttpRequestParser();
  HttpRequestParser(const HttpRequestParser&) = delete;
  HttpRequestParser& operator=(const HttpRequestParser&) = delete;

  // Consumes input up to the next event. Time is linear in `size`; nothing of the input is retained except the
  // request's own parts.
  Step feed(const char* data, std::size_t size);

  HttpRequest& request() { return request_; }
  const ApiError& error() const { return error_; }
  bool failed() const { return static_cast<bool>(error_); }
  Phase phase() const { return phase_; }
  // After `head`: the client waits for "100 Continue" before it sends a body it has not started sending.
  bool continue_expected() const { return continue_expected_; }
  // Heads the fast path has read (for the tests that show it is taken).
  std::uint64_t fast_heads() const { return fast_heads_; }

 private:
  struct Callbacks;
  friend struct Callbacks;

  Step feed_slice(const char* data, std::size_t size);
  bool check_line_ahead(const char* data, std::size_t size, std::size_t& usable, std::size_t& line_scanned,
                        Step& step);
  bool body_bytes_ok(const char* data, std::size_t consumed, Step& failure);
  bool head_bytes_ok(const char* data, std::size_t consumed, Step& failure);
  Step slice_outcome(const char* data, std::size_t size, std::size_t usable, std::size_t consumed, int status);
  void begin_message();
  void start_header_value();
  void finish_header_field();
  ApiError check_head();
  ApiError map_parser_error(int http_errno) const;
  ApiError request_line_error() const;  // the request line check's verdict as an answer
  bool scan_head_bytes(const char* data, std::size_t size);
  Step fail(ApiError error, std::size_t consumed);
  // The fast path (rest/http_request_fast.cpp): a complete plain head at the start of a message, or a decline
  // (false, nothing changed); then its Content-Length body, read without http_parser.
  bool try_fast_head(const char* data, std::size_t size, Step& step);
  std::size_t fast_header_lines_end(std::string_view input, std::size_t at, std::uint64_t& content_length);
  bool read_fast_header(std::string_view name, std::string_view value, std::uint64_t& content_length);
  Step feed_fast_body(const char* data, std::size_t size);

  struct Impl;
  std::unique_ptr<Impl> impl_;  // http_parser state (rest/http_request_parser_impl.hpp), kept out of this header
  HttpParserLimits limits_;
  HttpRequest request_;
  ApiError error_;
  Phase phase_ = Phase::idle;
  bool continue_expected_ = false;
  bool request_delivered_ = false;  // the last event was `request`: clear it before parsing on
  bool unknown_method_ = false;     // http_parser stopped at the method; the request line check reads on
  bool chunked_ = false;            // the body is chunked: its framing is checked too
  bool stream_closed_ = false;      // a request without keep-alive was delivered: http_parser reads no more
  bool fast_message_ = false;       // this message's head was read by the fast path: so is its body
  std::size_t fast_left_ = 0;       // bytes of the fast message still to come: the head's final LF, then the body
  std::uint64_t fast_heads_ = 0;

  // Head bookkeeping, reset per message.
  std::size_t head_bytes_ = 0;             // bytes consumed since the previous message ended
  std::size_t request_line_start_ = 0;     // head offset of the method; npos until the target begins
  std::size_t header_section_start_ = 0;   // head offset of the first header line; npos while in the request line
  std::size_t header_count_ = 0;
  std::string field_;        // the header name being read
  bool field_open_ = false;  // a header line has begun and is not finished
  bool in_value_ = false;
  std::string* value_ = nullptr;  // where the current header's value goes (nullptr: dropped)
  std::string expect_;
  std::string transfer_encoding_;
  int host_count_ = 0;
  int idempotency_key_count_ = 0;
  int authorization_count_ = 0;
  char previous_byte_ = 0;  // the head byte before the current input, for the CRLF checks

  // Body bookkeeping.
  std::size_t body_limit_ = 0;
  std::size_t body_wire_bytes_ = 0;  // bytes consumed while in the body, framing included
  ApiError callback_error_;          // set by a callback that stopped the parser
};

}  // namespace tally::rest
