// HttpRequestParser, feeding bytes in: input is cut into slices (every limit checked within a few KiB), the
// request line is checked ahead of http_parser and a chunked body's framing behind it, the head's line breaks are
// scanned for bare CR/LF and obs-fold, and http_parser's pauses become the head and request events. The callbacks
// and the head's checks are rest/http_request_parser.cpp; plain heads take rest/http_request_fast.cpp instead.
#include <http_parser.h>

#include <algorithm>

#include "ledger/assert.hpp"
#include "rest/http_line_break.hpp"
#include "rest/http_request_parser.hpp"
#include "rest/http_request_parser_impl.hpp"

namespace tally::rest {

namespace {

using detail::RequestLineCheck;
using parser_detail::body_too_large;
using parser_detail::headers_too_large;
using parser_detail::malformed;
using parser_detail::npos;
using parser_detail::uri_too_long;

constexpr std::size_t feed_slice_bytes_max = 4096;

}  // namespace

// Lines of a head end in CRLF: a bare LF or CR (RFC 9112 lets a recipient read either way, so a proxy in front may
// split the stream differently) and obs-fold (a line starting with whitespace) are refused. One byte of state
// covers any split. Each byte is checked against the one before it; a run of ordinary bytes (neither CR nor LF)
// passes every check after its first, so it is skipped in one search (find_line_break): the header bytes of a
// request, the Authorization field's included, cost a vector compare per 16, not a branch each.
bool HttpRequestParser::scan_head_bytes(const char* data, std::size_t size) {
  char previous = previous_byte_;
  const char* at = data;
  const char* const end = data + size;
  while (at < end) {
    const char c = *at;
    if ((previous == '\r') != (c == '\n')) return false;
    if (previous == '\n' && (c == ' ' || c == '\t')) return false;
    if (c == '\r' || c == '\n') {
      previous = c;
      ++at;
      continue;
    }
    // c is ordinary: so is every byte up to the next CR or LF, and each of them passes both checks.
    const char* const line_break = find_line_break(at + 1, end);
    previous = line_break[-1];
    at = line_break;
  }
  previous_byte_ = previous;
  return true;
}

HttpRequestParser::Step HttpRequestParser::fail(ApiError error, std::size_t consumed) {
  TALLY_ASSERT(error, "a failure carries its error");
  error_ = std::move(error);
  return {Event::error, consumed};
}

// ---------------------------------------------------------------------------------------------------------------
// feed

HttpRequestParser::Step HttpRequestParser::feed(const char* data, std::size_t size) {
  TALLY_ASSERT(!failed(), "an error ends the stream");
  std::size_t used = 0;
  while (used < size) {
    // Slices keep every limit checked within a few KiB of input, however large the caller's buffer.
    const Step step = feed_slice(data + used, std::min(size - used, feed_slice_bytes_max));
    used += step.consumed;
    if (step.event == Event::head && size - used > 1) {
      continue_expected_ = false;  // more than the head's final LF in hand: the client is already sending the body
    }
    if (step.event != Event::need_more) return {step.event, used};
  }
  return {Event::need_more, used};
}

ApiError HttpRequestParser::request_line_error() const {
  const RequestLineCheck& line = impl_->line;
  switch (line.verdict()) {
    case RequestLineCheck::Verdict::malformed: return malformed(line.problem());
    case RequestLineCheck::Verdict::too_long: return uri_too_long(limits_.request_line_bytes_max);
    case RequestLineCheck::Verdict::complete:
      // A request line http_parser stopped in at an unknown method. The version decides first: with another
      // major version nothing else in the request can be read, so the HTTP/2 preface (which RFC 9113 3.4 made
      // for HTTP/1.1 servers to refuse) gets 505; an HTTP/1 request with an unknown method is 501 (RFC 9110 9.1).
      TALLY_ASSERT(unknown_method_, "a complete line stops http_parser only at an unknown method");
      if (line.major() != 1) return {505, "http_version_not_supported", "only HTTP/1.0 and HTTP/1.1 are served"};
      return {501, "method_not_implemented", "the method is not implemented by this server"};
    case RequestLineCheck::Verdict::pending: break;
  }
  return {};
}

HttpRequestParser::Step HttpRequestParser::feed_slice(const char* data, std::size_t size) {
  TALLY_ASSERT(size > 0, "a slice has bytes: http_parser reads empty input as the end of the stream");
  if (request_delivered_) {
    stream_closed_ = stream_closed_ || !request_.keep_alive;  // as http_parser's state after that message
    begin_message();
  }
  if (fast_message_) return feed_fast_body(data, size);
  const bool message_start = head_bytes_ == 0 && phase_ == Phase::idle && !unknown_method_ && !impl_->line.started();
  if (limits_.fast_path && message_start && !stream_closed_) {
    Step step{Event::need_more, 0};
    if (try_fast_head(data, size, step)) return step;
  }

  std::size_t usable = size;
  std::size_t line_scanned = 0;
  if (phase_ != Phase::body && !impl_->line.finished()) {
    Step step{Event::need_more, 0};
    if (check_line_ahead(data, size, usable, line_scanned, step)) return step;
  }

  http_parser& p = impl_->parser;
  http_parser_pause(&p, 0);
  impl_->input = data;
  impl_->head_base = head_bytes_;
  impl_->paused_for = Event::need_more;
  const bool was_body = phase_ == Phase::body;
  const std::size_t consumed = http_parser_execute(&p, &impl_->settings, data, usable);
  const int status = HTTP_PARSER_ERRNO(&p);

  if (status == HPE_INVALID_METHOD && !callback_error_) {
    // Not a method http_parser knows (the check above has seen a token so far): 501 if the line turns out to be
    // a request line, else 400. Either way the line check has the verdict.
    unknown_method_ = true;
    phase_ = Phase::head;
    head_bytes_ += line_scanned;
    if (impl_->line.finished()) return fail(request_line_error(), line_scanned);
    TALLY_ASSERT(line_scanned == size, "the line check read all of an unfinished line");
    return {Event::need_more, size};
  }

  Step failure{Event::need_more, 0};
  const bool bytes_ok = was_body ? body_bytes_ok(data, consumed, failure) : head_bytes_ok(data, consumed, failure);
  if (!bytes_ok) return failure;
  return slice_outcome(data, size, usable, consumed, status);
}

// The slice's steps below are inline: as calls they cost ~1% more instructions on the slow path (callgrind).

// The request line is checked ahead of http_parser, which is given only the bytes before the first bad one
// (`usable`): errors come in the order of their bytes, however the stream is cut. True when the slice ends here
// (`step`: an error, or more of a line http_parser stopped in at an unknown method).
inline bool HttpRequestParser::check_line_ahead(const char* data, std::size_t size, std::size_t& usable,
                                         std::size_t& line_scanned, Step& step) {
  RequestLineCheck& line = impl_->line;
  line_scanned = line.scan(data, size, limits_.request_line_bytes_max);
  if (line.started()) phase_ = Phase::head;  // for the head's timeout, also while http_parser is out
  const bool bad_line = line.finished() && line.verdict() != RequestLineCheck::Verdict::complete;
  if (bad_line) usable = line_scanned;
  if (unknown_method_) {
    // http_parser stopped at the method: only this check reads on, to the end of the line.
    if (line.finished()) {
      step = fail(request_line_error(), line_scanned);
    } else {
      head_bytes_ += size;
      step = {Event::need_more, size};
    }
    return true;
  }
  if (usable == 0) {
    step = fail(request_line_error(), 0);
    return true;
  }
  return false;
}

// Body bytes http_parser consumed: a chunked body's framing is checked behind it, and framing of any kind is bounded.
inline bool HttpRequestParser::body_bytes_ok(const char* data, std::size_t consumed, Step& failure) {
  body_wire_bytes_ += consumed;
  if (chunked_) {
    if (const std::size_t bad = impl_->chunks.scan(data, consumed); bad != npos) {
      failure = fail(malformed(impl_->chunks.problem()), bad);
      return false;
    }
  }
  const std::size_t framing = body_wire_bytes_ - request_.body.size();
  if (framing > limits_.chunk_framing_bytes_max) {
    failure = fail(body_too_large(body_limit_), consumed);
    return false;
  }
  return true;
}

// Head bytes http_parser consumed: their line breaks, and the whitespace runs that never reach a callback.
inline bool HttpRequestParser::head_bytes_ok(const char* data, std::size_t consumed, Step& failure) {
  head_bytes_ += consumed;
  if (!scan_head_bytes(data, consumed)) {
    failure = fail(malformed(crlf_message), consumed);
    return false;
  }
  // These totals bound the whitespace runs (the request line may be followed by its CRLF and the blank line of a
  // head without fields).
  if (header_section_start_ == npos) {
    if (request_line_start_ != npos && head_bytes_ - request_line_start_ > limits_.request_line_bytes_max + 4) {
      failure = fail(uri_too_long(limits_.request_line_bytes_max), consumed);
      return false;
    }
  } else if (head_bytes_ - header_section_start_ > limits_.header_bytes_max) {
    failure = fail(headers_too_large(limits_.header_bytes_max, limits_.header_count_max), consumed);
    return false;
  }
  return true;
}

// What http_parser's stop (a pause at a head or a request, an error, or the end of the usable bytes) means.
inline HttpRequestParser::Step HttpRequestParser::slice_outcome(const char* data, std::size_t size, std::size_t usable,
                                                         std::size_t consumed, int status) {
  if (status == HPE_PAUSED) {
    if (impl_->paused_for == Event::head) {
      // The pause is on the head's final LF (not yet consumed): it must be one, after its CR.
      if (previous_byte_ != '\r' || consumed >= size || data[consumed] != '\n') {
        return fail(malformed(crlf_message), consumed);
      }
      return {Event::head, consumed};
    }
    TALLY_ASSERT(impl_->paused_for == Event::request, "the parser paused at a head or at a request");
    request_delivered_ = true;
    return {Event::request, consumed};
  }
  if (status != HPE_OK) {
    if (callback_error_) return fail(std::move(callback_error_), consumed);
    return fail(map_parser_error(status), consumed);
  }
  TALLY_ASSERT(consumed == usable, "an unpaused parser consumes all it was given");
  if (usable < size) return fail(request_line_error(), usable);  // http_parser took the bytes before the bad one
  return {Event::need_more, consumed};
}

}  // namespace tally::rest
