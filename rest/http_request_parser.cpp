// HttpRequestParser: http_parser's callbacks fill one HttpRequest; the parser pauses at the end of each head and
// each message so that the caller sees every request (and may stop reading) at its exact byte boundary.
#include "rest/http_request_parser.hpp"

#include <http_parser.h>

#include <algorithm>
#include <cstring>
#include <string_view>

#include "ledger/assert.hpp"
#include "rest/http_chunk_framing.hpp"
#include "rest/http_line_break.hpp"
#include "rest/http_request_line.hpp"

namespace tally::rest {

namespace {

constexpr std::size_t npos = static_cast<std::size_t>(-1);
constexpr std::size_t http_version_bytes = 9;  // " HTTP/1.1" after the target
constexpr std::size_t feed_slice_bytes_max = 4096;

using detail::ChunkFramingCheck;
using detail::RequestLineCheck;

HttpMethod method_of(unsigned method) {
  switch (method) {
    case HTTP_GET: return HttpMethod::get;
    case HTTP_HEAD: return HttpMethod::head;
    case HTTP_POST: return HttpMethod::post;
    case HTTP_PUT: return HttpMethod::put;
    case HTTP_DELETE: return HttpMethod::delete_;
    case HTTP_PATCH: return HttpMethod::patch;
    case HTTP_OPTIONS: return HttpMethod::options;
    default: return HttpMethod::other;
  }
}

ApiError malformed(std::string message) { return {400, "malformed_request", std::move(message)}; }

ApiError headers_too_large(std::size_t bytes, std::size_t count) {
  return {431, "headers_too_large",
          "the header section is limited to " + std::to_string(bytes) + " bytes and " + std::to_string(count) +
              " fields"};
}

ApiError uri_too_long(std::size_t bytes) {
  return {414, "uri_too_long", "the request line is limited to " + std::to_string(bytes) + " bytes"};
}

ApiError body_too_large(std::size_t bytes) {
  return {413, "body_too_large", "the body is larger than " + std::to_string(bytes) + " bytes"};
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------------
// http_parser glue

struct HttpRequestParser::Impl {
  http_parser parser{};
  http_parser_settings settings{};
  const char* input = nullptr;   // the buffer of the running http_parser_execute
  std::size_t head_base = 0;     // head_bytes_ before that call
  Event paused_for = Event::need_more;
  RequestLineCheck line;     // the message's request line, read ahead of http_parser
  ChunkFramingCheck chunks;  // a chunked body's framing, read behind http_parser
};

struct HttpRequestParser::Callbacks {
  static HttpRequestParser& self(http_parser* p) { return *static_cast<HttpRequestParser*>(p->data); }

  // The head offset just past `end`, a pointer into the running call's input.
  static std::size_t head_offset(HttpRequestParser& s, const char* end) {
    return s.impl_->head_base + static_cast<std::size_t>(end - s.impl_->input);
  }

  static int stop(HttpRequestParser& s, ApiError error) {
    s.callback_error_ = std::move(error);
    return 1;
  }

  static int message_begin(http_parser* p) {
    self(p).phase_ = Phase::head;
    return 0;
  }

  static int url(http_parser* p, const char* at, std::size_t length) {
    HttpRequestParser& s = self(p);
    const std::size_t method_bytes = std::strlen(http_method_str(static_cast<http_method>(p->method)));
    if (s.request_.target.empty()) {
      // Empty lines before a request (which RFC 9112 lets a server skip) are not part of its request line.
      s.request_line_start_ = head_offset(s, at) - std::min(head_offset(s, at), method_bytes + 1);
    }
    s.request_.target.append(at, length);
    const std::size_t line = method_bytes + 1 + s.request_.target.size() + http_version_bytes;
    if (line > s.limits_.request_line_bytes_max) return stop(s, uri_too_long(s.limits_.request_line_bytes_max));
    return 0;
  }

  // Both header callbacks: the section so far, whitespace included, must fit.
  static int check_section(HttpRequestParser& s, const char* end) {
    const std::size_t section = head_offset(s, end) - s.header_section_start_;
    if (section > s.limits_.header_bytes_max) {
      return stop(s, headers_too_large(s.limits_.header_bytes_max, s.limits_.header_count_max));
    }
    return 0;
  }

  static int header_field(http_parser* p, const char* at, std::size_t length) {
    HttpRequestParser& s = self(p);
    if (s.phase_ == Phase::body) return 0;  // a trailer field: counted as chunk framing, otherwise ignored
    if (s.header_section_start_ == npos) s.header_section_start_ = head_offset(s, at);
    if (s.in_value_ || !s.field_open_) {
      s.finish_header_field();
      if (++s.header_count_ > s.limits_.header_count_max) {
        return stop(s, headers_too_large(s.limits_.header_bytes_max, s.limits_.header_count_max));
      }
      s.field_open_ = true;  // the name is classified once complete, at its first value byte
    }
    s.field_.append(at, length);
    return check_section(s, at + length);
  }

  static int header_value(http_parser* p, const char* at, std::size_t length) {
    HttpRequestParser& s = self(p);
    if (s.phase_ == Phase::body) return 0;
    if (!s.in_value_) s.start_header_value();
    if (s.value_ != nullptr) s.value_->append(at, length);
    return check_section(s, at + length);
  }

  static int headers_complete(http_parser* p) {
    HttpRequestParser& s = self(p);
    s.finish_header_field();
    // Upgrade and CONNECT are not served: the request is read as a plain one and answered by the routes.
    p->upgrade = 0;
    if (ApiError error = s.check_head()) {
      s.callback_error_ = std::move(error);
      return -1;
    }
    const bool chunked = (p->flags & F_CHUNKED) != 0;
    s.chunked_ = chunked;
    const bool has_length = (p->flags & F_CONTENTLENGTH) != 0 && p->content_length > 0;
    s.phase_ = chunked || has_length ? Phase::body : Phase::head;
    s.continue_expected_ = s.request_.expect_continue && (chunked || has_length);
    s.impl_->paused_for = Event::head;
    http_parser_pause(p, 1);
    return 0;
  }

  // A chunk's size is known before its data: one that would take the body past the limit is refused at once.
  static int chunk_header(http_parser* p) {
    HttpRequestParser& s = self(p);
    if (p->content_length > s.body_limit_ - s.request_.body.size()) return stop(s, body_too_large(s.body_limit_));
    return 0;
  }

  static int body(http_parser* p, const char* at, std::size_t length) {
    HttpRequestParser& s = self(p);
    if (s.request_.body.size() + length > s.body_limit_) return stop(s, body_too_large(s.body_limit_));
    s.request_.body.append(at, length);
    return 0;
  }

  static int message_complete(http_parser* p) {
    HttpRequestParser& s = self(p);
    s.phase_ = Phase::idle;
    s.impl_->paused_for = Event::request;
    http_parser_pause(p, 1);
    return 0;
  }
};

HttpRequestParser::HttpRequestParser(const HttpParserLimits& limits) : impl_(std::make_unique<Impl>()), limits_(limits) {
  TALLY_ASSERT(limits_.body_bytes_max != nullptr, "the parser knows each route's body limit");
  http_parser_init(&impl_->parser, HTTP_REQUEST);
  impl_->parser.data = this;
  http_parser_settings& settings = impl_->settings;
  http_parser_settings_init(&settings);
  settings.on_message_begin = &Callbacks::message_begin;
  settings.on_url = &Callbacks::url;
  settings.on_header_field = &Callbacks::header_field;
  settings.on_header_value = &Callbacks::header_value;
  settings.on_headers_complete = &Callbacks::headers_complete;
  settings.on_chunk_header = &Callbacks::chunk_header;
  settings.on_body = &Callbacks::body;
  settings.on_message_complete = &Callbacks::message_complete;
  begin_message();
}

HttpRequestParser::~HttpRequestParser() = default;

void HttpRequestParser::begin_message() {
  HttpRequest& r = request_;
  r.method = HttpMethod::other;
  r.method_name = {};
  r.target.clear();
  r.version_minor = 1;
  r.keep_alive = true;
  r.expect_continue = false;
  r.host.clear();
  r.content_type.clear();
  r.idempotency_key.reset();
  r.authorization.clear();
  r.authorization_given = false;
  r.other_headers.clear();
  // Keep a small body's buffer for the next request; give a large one back.
  if (r.body.capacity() > limits::request_body_bytes_max) {
    std::string().swap(r.body);
  } else {
    r.body.clear();
  }
  head_bytes_ = 0;
  request_line_start_ = npos;
  header_section_start_ = npos;
  header_count_ = 0;
  field_.clear();
  field_open_ = false;
  in_value_ = false;
  value_ = nullptr;
  expect_.clear();
  transfer_encoding_.clear();
  host_count_ = 0;
  idempotency_key_count_ = 0;
  authorization_count_ = 0;
  previous_byte_ = 0;
  body_limit_ = 0;
  body_wire_bytes_ = 0;
  continue_expected_ = false;
  request_delivered_ = false;
  unknown_method_ = false;
  chunked_ = false;
  fast_message_ = false;
  fast_left_ = 0;
  impl_->line.reset();
  impl_->chunks.reset();
}

void HttpRequestParser::start_header_value() {
  in_value_ = true;
  const std::string_view name = field_;
  value_ = nullptr;
  if (equals_ignoring_case(name, "host")) {
    if (++host_count_ == 1) value_ = &request_.host;
  } else if (equals_ignoring_case(name, "content-type")) {
    if (request_.content_type.empty()) value_ = &request_.content_type;
  } else if (equals_ignoring_case(name, "idempotency-key")) {
    if (++idempotency_key_count_ == 1) value_ = &request_.idempotency_key.emplace();
  } else if (equals_ignoring_case(name, "authorization")) {
    if (++authorization_count_ == 1) {
      request_.authorization_given = true;
      value_ = &request_.authorization;
    }
  } else if (equals_ignoring_case(name, "expect")) {
    if (!expect_.empty()) expect_.push_back(',');
    value_ = &expect_;
  } else if (equals_ignoring_case(name, "transfer-encoding")) {
    if (!transfer_encoding_.empty()) transfer_encoding_.push_back(',');  // repeats form one list
    value_ = &transfer_encoding_;
  } else if (equals_ignoring_case(name, "content-length") || equals_ignoring_case(name, "connection")) {
    // http_parser reads these itself (strictly: digits only, no repeats, not with Transfer-Encoding).
  } else if (request_.other_headers.size() < limits_.kept_header_count_max) {
    request_.other_headers.push_back(HttpHeaderField{field_, {}});
    value_ = &request_.other_headers.back().value;
  }
}

void HttpRequestParser::finish_header_field() {
  if (!field_open_) return;
  if (!in_value_) start_header_value();  // a field without a value callback: treat as empty
  if (value_ != nullptr) {
    // http_parser drops leading whitespace; trailing whitespace is not part of a field value either.
    while (!value_->empty() && (value_->back() == ' ' || value_->back() == '\t')) value_->pop_back();
  }
  field_.clear();
  field_open_ = false;
  in_value_ = false;
  value_ = nullptr;
}

// ---------------------------------------------------------------------------------------------------------------
// Checks of a complete head

ApiError HttpRequestParser::check_head() {
  const http_parser& p = impl_->parser;
  HttpRequest& r = request_;
  r.method = method_of(p.method);
  r.method_name = http_method_str(static_cast<http_method>(p.method));
  // RFC 9110 2.5 / RFC 9112 2.3: a higher minor version of HTTP/1 is served as the highest this server has,
  // HTTP/1.1 (the request line check allows one digit each); another major version is not served.
  if (p.http_major != 1) return {505, "http_version_not_supported", "only HTTP/1.0 and HTTP/1.1 are served"};
  const int minor = std::min<int>(p.http_minor, 1);
  r.version_minor = minor;
  r.keep_alive = http_should_keep_alive(&p) != 0;  // HTTP/1.1 rules for any minor version above 0
  if (host_count_ > 1) return malformed("more than one Host header");
  if (minor == 1 && host_count_ == 0) return {400, "missing_host", "an HTTP/1.1 request needs a Host header"};
  if (idempotency_key_count_ > 1) return malformed("more than one Idempotency-Key header");
  if (authorization_count_ > 1) return malformed("more than one Authorization header");
  if (p.uses_transfer_encoding) {
    if (minor == 0) return malformed("Transfer-Encoding is not allowed in an HTTP/1.0 request");
    if (ApiError error = transfer_coding_error(transfer_encoding_)) return error;
  }
  // RFC 9110: 100-continue is the only expectation, and HTTP/1.0 clients cannot ask for it.
  r.expect_continue = minor == 1 && equals_ignoring_case(trim_ows(expect_), "100-continue");
  body_limit_ = limits_.body_bytes_max(r.method, r.path());
  if ((p.flags & F_CONTENTLENGTH) != 0 && p.content_length > body_limit_) return body_too_large(body_limit_);
  return {};
}

ApiError HttpRequestParser::map_parser_error(int http_errno) const {
  const bool in_request_line = header_section_start_ == npos && phase_ != Phase::body;
  switch (static_cast<enum http_errno>(http_errno)) {
    case HPE_INVALID_METHOD:  // an unknown token is read on by the request line check (feed_slice)
      return malformed("the request line does not start with a method");
    case HPE_HEADER_OVERFLOW:
      if (in_request_line) return uri_too_long(limits_.request_line_bytes_max);
      return headers_too_large(limits_.header_bytes_max, limits_.header_count_max);
    case HPE_INVALID_CONTENT_LENGTH:
      if (phase_ == Phase::body) return malformed("invalid chunk size");
      return {400, "invalid_content_length", "Content-Length must be one non-negative decimal number"};
    case HPE_UNEXPECTED_CONTENT_LENGTH:
      return {400, "invalid_content_length",
              "Content-Length must appear once and not together with Transfer-Encoding"};
    case HPE_INVALID_TRANSFER_ENCODING:
      if (ApiError error = transfer_coding_error(transfer_encoding_)) return error;
      return malformed("chunked must be the final transfer coding");
    case HPE_INVALID_VERSION:
      return malformed("invalid HTTP version");
    default:
      return malformed(http_errno_description(static_cast<enum http_errno>(http_errno)));
  }
}

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

  // The request line is checked ahead of http_parser, which is given only the bytes before the first bad one:
  // errors come in the order of their bytes, however the stream is cut.
  std::size_t usable = size;
  std::size_t line_scanned = 0;
  RequestLineCheck& line = impl_->line;
  if (phase_ != Phase::body && !line.finished()) {
    line_scanned = line.scan(data, size, limits_.request_line_bytes_max);
    if (line.started()) phase_ = Phase::head;  // for the head's timeout, also while http_parser is out
    const bool bad_line = line.finished() && line.verdict() != RequestLineCheck::Verdict::complete;
    if (bad_line) usable = line_scanned;
    if (unknown_method_) {
      // http_parser stopped at the method: only this check reads on, to the end of the line.
      if (line.finished()) return fail(request_line_error(), line_scanned);
      head_bytes_ += size;
      return {Event::need_more, size};
    }
    if (usable == 0) return fail(request_line_error(), 0);
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
    if (line.finished()) return fail(request_line_error(), line_scanned);
    TALLY_ASSERT(line_scanned == size, "the line check read all of an unfinished line");
    return {Event::need_more, size};
  }

  if (was_body) {
    body_wire_bytes_ += consumed;
    if (chunked_) {
      if (const std::size_t bad = impl_->chunks.scan(data, consumed); bad != npos) {
        return fail(malformed(impl_->chunks.problem()), bad);
      }
    }
    const std::size_t framing = body_wire_bytes_ - request_.body.size();
    if (framing > limits_.chunk_framing_bytes_max) return fail(body_too_large(body_limit_), consumed);
  } else {
    head_bytes_ += consumed;
    if (!scan_head_bytes(data, consumed)) return fail(malformed(crlf_message), consumed);
    // Whitespace runs never reach a callback: these totals bound them (the request line may be followed by its
    // CRLF and the blank line of a head without fields).
    if (header_section_start_ == npos) {
      if (request_line_start_ != npos && head_bytes_ - request_line_start_ > limits_.request_line_bytes_max + 4) {
        return fail(uri_too_long(limits_.request_line_bytes_max), consumed);
      }
    } else if (head_bytes_ - header_section_start_ > limits_.header_bytes_max) {
      return fail(headers_too_large(limits_.header_bytes_max, limits_.header_count_max), consumed);
    }
  }

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
