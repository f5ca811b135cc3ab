// HttpRequestParser: http_parser's callbacks fill one HttpRequest; the parser pauses at the end of each head and
// each message so that the caller sees every request (and may stop reading) at its exact byte boundary.
#include "rest/http_request_parser.hpp"

#include <http_parser.h>

#include <algorithm>
#include <cassert>
#include <cstring>
#include <limits>
#include <string_view>

namespace tally::rest {

namespace {

constexpr std::size_t npos = static_cast<std::size_t>(-1);
constexpr std::size_t http_version_bytes = 9;  // " HTTP/1.1" after the target
constexpr std::size_t feed_slice_bytes_max = 4096;
constexpr const char* crlf_message = "header lines must end in CRLF, without folding";

// RFC 9110 tchar: the characters of a method or header name.
bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return c != 0 && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

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

bool is_visible_ascii(char c) { return c > 0x20 && c < 0x7f; }

bool is_hex_digit(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

unsigned hex_value(char c) {
  if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0');
  return static_cast<unsigned>((c | 0x20) - 'a' + 10);
}

// The request line by RFC 9112 3's grammar, strictly: method SP request-target SP HTTP-version CRLF, one space
// each, a target of visible ASCII, "HTTP/" DIGIT "." DIGIT. http_parser is lenient where RFC 9112 3 lets a
// recipient be ("GET  /x", "GET /x  HTTP/1.1", a tab or obs-text in the target) and reads "GET /x" without a
// version as HTTP/0.9; a proxy in front that splits the line differently would see another request, so all of
// these are 400 here. It also stops at the first byte of a method it does not know, before the line shows whether
// it is a request line at all: this check reads on, so that "HELLO" is 400, "BREW /x HTTP/1.1" 501 and the HTTP/2
// preface "PRI * HTTP/2.0" 505 (RFC 9113 3.4: it is made to be refused by an HTTP/1.1 server; the version is
// what this server cannot serve).
class RequestLineCheck {
 public:
  enum class Verdict : std::uint8_t { pending, complete, malformed, too_long };

  void reset() { *this = RequestLineCheck(); }
  bool finished() const { return verdict_ != Verdict::pending; }
  Verdict verdict() const { return verdict_; }
  bool started() const { return state_ != State::line_start && state_ != State::leading_lf; }  // a method byte came
  const char* problem() const { return problem_; }
  int major() const { return major_; }

  // Reads up to the end of the line (just past its LF) or to the first byte that breaks it; returns the bytes
  // read, so the bad byte (if any) is data[returned].
  std::size_t scan(const char* data, std::size_t size, std::size_t line_bytes_max) {
    std::size_t i = 0;
    for (; i < size && verdict_ == Verdict::pending; ++i) {
      if (!step(data[i])) {
        verdict_ = Verdict::malformed;
        return i;
      }
      // The line's bytes are those of the method, the target and the version, with their two spaces.
      if (started() && state_ != State::lf && ++line_bytes_ > line_bytes_max) {
        verdict_ = Verdict::too_long;
        return i;
      }
    }
    return i;
  }

 private:
  enum class State : std::uint8_t { line_start, leading_lf, method, target_start, target, version, major, dot, minor, cr, lf };

  bool bad(const char* problem) {
    problem_ = problem;
    return false;
  }

  bool step(char c) {
    static constexpr std::string_view version_prefix = "HTTP/";
    switch (state_) {
      case State::line_start:  // RFC 9112 2.2: empty lines (CRLF) before a request line are skipped
        if (c == '\r') {
          state_ = State::leading_lf;
          return true;
        }
        if (!is_token_char(c)) return bad("the request line does not start with a method");
        state_ = State::method;
        return true;
      case State::leading_lf:
        if (c != '\n') return bad(crlf_message);
        state_ = State::line_start;
        return true;
      case State::method:
        if (c == ' ') {
          state_ = State::target_start;
        } else if (c == '\r' || c == '\n') {
          return bad("the request line has no request-target");
        } else if (!is_token_char(c)) {
          return bad("the method is not a token");
        }
        return true;
      case State::target_start:
        if (c == ' ') return bad("the method, the target and the version are separated by one space each");
        if (c == '\r' || c == '\n') return bad("the request line has no request-target");
        if (!is_visible_ascii(c)) return bad("the request-target has a character that is not visible ASCII");
        state_ = State::target;
        return true;
      case State::target:
        if (c == ' ') {
          state_ = State::version;
        } else if (c == '\r' || c == '\n') {
          return bad("the request line has no HTTP version (HTTP/0.9 is not served)");
        } else if (!is_visible_ascii(c)) {
          return bad("the request-target has a character that is not visible ASCII");
        }
        return true;
      case State::version:
        if (c == ' ') return bad("the method, the target and the version are separated by one space each");
        if (c != version_prefix[version_index_]) return bad("invalid HTTP version");
        if (++version_index_ == version_prefix.size()) state_ = State::major;
        return true;
      case State::major:
        if (c < '0' || c > '9') return bad("invalid HTTP version");
        major_ = c - '0';
        state_ = State::dot;
        return true;
      case State::dot:
        if (c != '.') return bad("invalid HTTP version");
        state_ = State::minor;
        return true;
      case State::minor:
        if (c < '0' || c > '9') return bad("invalid HTTP version");
        state_ = State::cr;
        return true;
      case State::cr:
        if (c != '\r') return bad(c == '\n' ? crlf_message : "invalid HTTP version");
        state_ = State::lf;
        return true;
      case State::lf:
        if (c != '\n') return bad(crlf_message);
        verdict_ = Verdict::complete;
        return true;
    }
    return bad("invalid request line");
  }

  State state_ = State::line_start;
  Verdict verdict_ = Verdict::pending;
  std::size_t version_index_ = 0;
  std::size_t line_bytes_ = 0;  // from the method's first byte, CRLF excluded
  int major_ = 0;
  const char* problem_ = nullptr;
};

// A chunked body's framing by RFC 9112 7.1, which http_parser leaves unchecked where it is lenient: it skips
// chunk extensions up to the next CR whatever they hold (a NUL, an unterminated quoted string), takes any byte
// after a CR as its LF, and any two bytes after a chunk's data as its CRLF. Each of those lets a proxy in front
// see other chunk boundaries than this server, so each is refused:
//   chunk     = chunk-size [ chunk-ext ] CRLF chunk-data CRLF      chunk-size = 1*HEXDIG
//   chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
//   chunk-ext-name = token;  chunk-ext-val = token / quoted-string
//   last-chunk = 1*("0") [ chunk-ext ] CRLF, then trailer field lines, each ending in CRLF, and a final CRLF.
// Fed exactly the bytes http_parser consumed in the body phase, starting with the head's final LF; time is linear
// and a chunk's data is skipped, not read.
class ChunkFramingCheck {
 public:
  void reset() { *this = ChunkFramingCheck(); }
  const char* problem() const { return problem_; }

  // The offset of the first byte that breaks the framing, or npos.
  std::size_t scan(const char* data, std::size_t size) {
    for (std::size_t i = 0; i < size; ++i) {
      if (state_ == State::data) {
        const std::size_t skip = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, size - i));
        remaining_ -= skip;
        i += skip - 1;
        if (remaining_ == 0) state_ = State::data_cr;
        continue;
      }
      if (!step(data[i])) return i;
    }
    return npos;
  }

 private:
  enum class State : std::uint8_t {
    head_lf, size_start, size, ext_bws, ext_name_start, ext_name, ext_after_name, ext_value_start, ext_token,
    ext_quoted, ext_quoted_pair, ext_after_value, size_lf, data, data_cr, data_lf, trailer_start, trailer_line,
    trailer_lf, final_lf, done
  };

  bool bad(const char* problem) {
    problem_ = problem;
    return false;
  }

  static bool is_ws(char c) { return c == ' ' || c == '\t'; }
  // RFC 9110 5.6.4 qdtext and the second byte of a quoted-pair: HTAB, SP, visible ASCII, obs-text.
  static bool is_quoted_text(char c) {
    const auto u = static_cast<unsigned char>(c);
    return c == '\t' || c == ' ' || (u >= 0x21 && u != 0x7f);
  }

  bool end_of_size_line() {
    state_ = State::size_lf;
    return true;
  }

  bool step(char c) {
    constexpr const char* bad_extension = "malformed chunk extension";
    constexpr const char* line_end = "chunk lines must end in CRLF";
    switch (state_) {
      case State::head_lf:  // the head's final LF, checked with the head
        state_ = State::size_start;
        return true;
      case State::size_start:
        if (!is_hex_digit(c)) return bad("invalid chunk size");
        size_ = hex_value(c);
        state_ = State::size;
        return true;
      case State::size:
        if (is_hex_digit(c)) {
          if (size_ > (std::numeric_limits<std::uint64_t>::max() >> 4)) return bad("the chunk size overflows");
          size_ = (size_ << 4) | hex_value(c);
          return true;
        }
        if (c == ';') {
          state_ = State::ext_name_start;
          return true;
        }
        if (is_ws(c)) {
          state_ = State::ext_bws;
          return true;
        }
        if (c == '\r') return end_of_size_line();
        return bad(c == '\n' ? line_end : "invalid chunk size");
      case State::ext_bws:  // after the size or a value, only before a ';'
      case State::ext_after_value:
        if (is_ws(c)) {
          state_ = State::ext_bws;
          return true;
        }
        if (c == ';') {
          state_ = State::ext_name_start;
          return true;
        }
        if (c == '\r' && state_ == State::ext_after_value) return end_of_size_line();
        return bad(c == '\n' ? line_end : bad_extension);
      case State::ext_name_start:
        if (is_ws(c)) return true;
        if (!is_token_char(c)) return bad(bad_extension);
        state_ = State::ext_name;
        return true;
      case State::ext_name:
      case State::ext_after_name:
        if (is_token_char(c) && state_ == State::ext_name) return true;
        if (is_ws(c)) {
          state_ = State::ext_after_name;
          return true;
        }
        if (c == '=') {
          state_ = State::ext_value_start;
          return true;
        }
        if (c == ';') {
          state_ = State::ext_name_start;
          return true;
        }
        if (c == '\r' && state_ == State::ext_name) return end_of_size_line();
        return bad(c == '\n' ? line_end : bad_extension);
      case State::ext_value_start:
        if (is_ws(c)) return true;
        if (c == '"') {
          state_ = State::ext_quoted;
          return true;
        }
        if (!is_token_char(c)) return bad(bad_extension);
        state_ = State::ext_token;
        return true;
      case State::ext_token:
        if (is_token_char(c)) return true;
        state_ = State::ext_after_value;
        return step(c);
      case State::ext_quoted:
        if (c == '"') {
          state_ = State::ext_after_value;
          return true;
        }
        if (c == '\\') {
          state_ = State::ext_quoted_pair;
          return true;
        }
        if (!is_quoted_text(c)) return bad("malformed quoted string in a chunk extension");
        return true;
      case State::ext_quoted_pair:
        if (!is_quoted_text(c)) return bad("malformed quoted string in a chunk extension");
        state_ = State::ext_quoted;
        return true;
      case State::size_lf:
        if (c != '\n') return bad(line_end);
        if (size_ == 0) {
          state_ = State::trailer_start;
        } else {
          remaining_ = size_;
          state_ = State::data;
        }
        return true;
      case State::data_cr:
        if (c != '\r') return bad("chunk data must be followed by CRLF");
        state_ = State::data_lf;
        return true;
      case State::data_lf:
        if (c != '\n') return bad("chunk data must be followed by CRLF");
        state_ = State::size_start;
        return true;
      case State::trailer_start:
        if (c == '\r') {
          state_ = State::final_lf;
          return true;
        }
        if (c == '\n' || is_ws(c)) return bad(crlf_message);  // a bare LF, or obs-fold
        state_ = State::trailer_line;
        return true;
      case State::trailer_line:
        if (c == '\r') state_ = State::trailer_lf;
        if (c == '\n') return bad(crlf_message);
        return true;
      case State::trailer_lf:
      case State::final_lf:
        if (c != '\n') return bad(crlf_message);
        state_ = state_ == State::trailer_lf ? State::trailer_start : State::done;
        return true;
      case State::data:
      case State::done:
        break;
    }
    return bad("bytes after the end of a chunked body");
  }

  State state_ = State::head_lf;
  std::uint64_t size_ = 0;
  std::uint64_t remaining_ = 0;
  const char* problem_ = nullptr;
};

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
  assert(limits_.body_bytes_max != nullptr);
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
  previous_byte_ = 0;
  body_limit_ = 0;
  body_wire_bytes_ = 0;
  continue_expected_ = false;
  request_delivered_ = false;
  unknown_method_ = false;
  chunked_ = false;
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
// covers any split; a head is at most a few KiB, so a plain loop is cheap.
bool HttpRequestParser::scan_head_bytes(const char* data, std::size_t size) {
  char previous = previous_byte_;
  for (std::size_t i = 0; i < size; ++i) {
    const char c = data[i];
    if ((previous == '\r') != (c == '\n')) return false;
    if (previous == '\n' && (c == ' ' || c == '\t')) return false;
    previous = c;
  }
  previous_byte_ = previous;
  return true;
}

HttpRequestParser::Step HttpRequestParser::fail(ApiError error, std::size_t consumed) {
  assert(error);
  error_ = std::move(error);
  return {Event::error, consumed};
}

// ---------------------------------------------------------------------------------------------------------------
// feed

HttpRequestParser::Step HttpRequestParser::feed(const char* data, std::size_t size) {
  assert(!failed() && "an error ends the stream");
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
      assert(unknown_method_);
      if (line.major() != 1) return {505, "http_version_not_supported", "only HTTP/1.0 and HTTP/1.1 are served"};
      return {501, "method_not_implemented", "the method is not implemented by this server"};
    case RequestLineCheck::Verdict::pending: break;
  }
  return {};
}

HttpRequestParser::Step HttpRequestParser::feed_slice(const char* data, std::size_t size) {
  assert(size > 0);  // http_parser reads an empty input as the end of the stream
  if (request_delivered_) begin_message();

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
    assert(line_scanned == size);
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
    assert(impl_->paused_for == Event::request);
    request_delivered_ = true;
    return {Event::request, consumed};
  }
  if (status != HPE_OK) {
    if (callback_error_) return fail(std::move(callback_error_), consumed);
    return fail(map_parser_error(status), consumed);
  }
  assert(consumed == usable);
  if (usable < size) return fail(request_line_error(), usable);  // http_parser took the bytes before the bad one
  return {Event::need_more, consumed};
}

}  // namespace tally::rest
