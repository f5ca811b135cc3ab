// HttpRequestParser, the head: http_parser's callbacks fill one HttpRequest (header bookkeeping per message) and
// the parser pauses at the end of each head and each message so that the caller sees every request (and may stop
// reading) at its exact byte boundary; the checks of a complete head. Feeding bytes in (slices, the request line
// checked ahead of http_parser, the CRLF scan and chunk framing behind it) is rest/http_request_feed.cpp.
#include "rest/http_request_parser.hpp"

#include <http_parser.h>

#include <algorithm>
#include <cstring>
#include <string_view>

#include "ledger/assert.hpp"
#include "rest/http_request_parser_impl.hpp"

namespace tally::rest {

namespace {

using parser_detail::body_too_large;
using parser_detail::headers_too_large;
using parser_detail::malformed;
using parser_detail::npos;
using parser_detail::uri_too_long;

constexpr std::size_t http_version_bytes = 9;  // " HTTP/1.1" after the target

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

}  // namespace

// ---------------------------------------------------------------------------------------------------------------
// http_parser glue

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

}  // namespace tally::rest
