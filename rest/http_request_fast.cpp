// The request parser's fast path: a plain, complete head at the start of a message (the request line and CRLF
// header lines a client library sends, then a Content-Length body or none) is read here in one pass instead of by
// http_parser and the checks around it, which cost about a sixth of a PUT's instructions. The rule that keeps it
// safe: it produces exactly the events, consumed counts, phases and HttpRequest the slow path would for that input,
// or it declines and changes nothing, and the slow path reads the same bytes. So it accepts only what it fully
// recognises and declines everything else, errors included: another version than HTTP/1.1, a method outside the
// seven known ones, a target with a byte outside visible ASCII or a '#', a head not complete in this read, any
// whitespace or byte not in the plain shapes, obs-fold, bare CR or LF, Transfer-Encoding, Expect, Upgrade,
// Proxy-Connection, Connection other than "keep-alive", a repeated or odd Content-Length, repeated Host,
// Idempotency-Key or Authorization, and every limit reached. tests/unit/test_http_fast_head.cpp and
// fuzz/fuzz_http_fast_head.cpp compare the two paths on the same streams.
#include <algorithm>
#include <cstdint>
#include <string_view>

#include "ledger/ascii.hpp"
#include "ledger/assert.hpp"
#include "rest/http_request_parser.hpp"

namespace tally::rest {

namespace {

constexpr std::size_t version_bytes = 9;  // " HTTP/1.1" after the target, as http_request_parser.cpp counts it
constexpr std::string_view version_line_end = " HTTP/1.1\r\n";
constexpr std::size_t content_length_digits_max = 15;  // far above any body limit, far below overflow
constexpr std::uint64_t npos_length = static_cast<std::uint64_t>(-1);  // no Content-Length yet

// The header names http_parser reads itself (exact Content-Length and Connection fields are read above).
constexpr std::string_view parser_matched_names[] = {"connection", "content-length", "transfer-encoding", "upgrade",
                                                     "proxy-connection"};

struct KnownMethod {
  std::string_view name;
  HttpMethod method;
};

constexpr KnownMethod known_methods[] = {
    {"GET", HttpMethod::get},       {"PUT", HttpMethod::put},     {"POST", HttpMethod::post},
    {"HEAD", HttpMethod::head},     {"DELETE", HttpMethod::delete_}, {"PATCH", HttpMethod::patch},
    {"OPTIONS", HttpMethod::options},
};

// The method at the start of `head` followed by one space, or nullptr.
const KnownMethod* method_at(std::string_view head) {
  for (const KnownMethod& known : known_methods) {
    if (head.size() > known.name.size() && head[known.name.size()] == ' ' &&
        head.compare(0, known.name.size(), known.name) == 0) {
      return &known;
    }
  }
  return nullptr;
}

// is_token_char as a table, built from it once: the same set, without a call per byte of a header name.
struct TokenTable {
  bool is_token[256] = {};
  TokenTable() {
    for (int c = 0; c < 256; ++c) is_token[c] = is_token_char(static_cast<char>(c));
  }
};
const TokenTable token_table;
bool is_token_byte(char c) { return token_table.is_token[static_cast<unsigned char>(c)]; }

constexpr std::string_view host_name = "host";
constexpr std::string_view content_type_name = "content-type";

std::string_view without_trailing_blanks(std::string_view value) {
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  return value;
}

// Every name read_fast_header treats itself begins with one of these letters, in either case; other names go
// straight to the slow path's bookkeeping (start_header_value), which sorts Host, Authorization and the rest.
bool may_be_special_name(std::string_view name) {
  switch (name[0] | 0x20) {
    case 'c': case 'e': case 'p': case 't': case 'u': return true;
    default: return false;
  }
}

// Visible ASCII but '#': both the request line check and http_parser read these in a target the same way.
bool is_plain_target_char(char c) { return c > 0x20 && c < 0x7f && c != '#'; }
// A field value's bytes here: visible ASCII, space and tab (http_parser also takes obs-text; the fast path declines).
bool is_plain_value_char(char c) { return (c >= 0x20 && c < 0x7f) || c == '\t'; }

bool all_digits(std::string_view text) {
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// A fast head's request line: a known method, a plain target, " HTTP/1.1" and CRLF, within the line limit.
struct FastRequestLine {
  const KnownMethod* known = nullptr;
  std::size_t target_start = 0;
  std::size_t target_bytes = 0;
  std::size_t end = 0;  // where the header lines start
};

// False declines the head (nothing is changed yet).
bool read_fast_request_line(std::string_view input, std::size_t line_bytes_max, FastRequestLine& line) {
  line.known = method_at(input);
  if (line.known == nullptr) return false;
  std::size_t at = line.known->name.size() + 1;
  line.target_start = at;
  if (at >= input.size() || input[at] != '/') return false;
  while (at < input.size() && is_plain_target_char(input[at])) ++at;
  line.target_bytes = at - line.target_start;
  if (line.known->name.size() + 1 + line.target_bytes + version_bytes > line_bytes_max) return false;
  if (input.compare(at, version_line_end.size(), version_line_end) != 0) return false;
  line.end = at + version_line_end.size();
  return true;
}

}  // namespace

// One header line, name and value (leading whitespace already skipped). False declines the head.
bool HttpRequestParser::read_fast_header(std::string_view name, std::string_view value,
                                         std::uint64_t& content_length) {
  // Host and Content-Type (nearly every request's) go where start_header_value would send them, without the
  // field name's copy and the name-by-name search: the first Host, and a Content-Type while none is kept, keep
  // their value without trailing whitespace (as finish_header_field leaves it); repeats are dropped likewise.
  if (name.size() == host_name.size() && equals_ignoring_case(name, host_name)) {
    if (++host_count_ == 1) request_.host.assign(without_trailing_blanks(value));
    return host_count_ <= 1 && idempotency_key_count_ <= 1 && authorization_count_ <= 1;
  }
  if (name.size() == content_type_name.size() && equals_ignoring_case(name, content_type_name)) {
    if (request_.content_type.empty()) request_.content_type.assign(without_trailing_blanks(value));
    return host_count_ <= 1 && idempotency_key_count_ <= 1 && authorization_count_ <= 1;
  }
  if (may_be_special_name(name)) {
    if (equals_ignoring_case(name, "content-length")) {
      // http_parser: digits, once; trailing whitespace and repeats have their own rules: declined here.
      if (content_length != npos_length || value.empty() || value.size() > content_length_digits_max) return false;
      if (!all_digits(value)) return false;
      content_length = 0;
      for (const char c : value) content_length = content_length * 10 + static_cast<std::uint64_t>(c - '0');
      return true;
    }
    if (equals_ignoring_case(name, "connection")) return equals_ignoring_case(value, "keep-alive");
    // http_parser matches these names as it reads them and, the fuzzer found, still treats some longer names that
    // begin with one ("Transfer-Encoding'") as that header: every name beginning with one is declined.
    for (const std::string_view special : parser_matched_names) {
      if (name.size() >= special.size() && equals_ignoring_case(name.substr(0, special.size()), special)) return false;
    }
    if (equals_ignoring_case(name, "expect")) return false;
  }
  // The slow path's own bookkeeping, so that each field lands where it would have.
  field_.assign(name.data(), name.size());
  field_open_ = true;
  start_header_value();
  if (value_ != nullptr) value_->append(value.data(), value.size());
  finish_header_field();
  return host_count_ <= 1 && idempotency_key_count_ <= 1 && authorization_count_ <= 1;
}

// The header lines from `at` (just after the request line), each read by read_fast_header, up to the blank line:
// where its CR is (its LF follows), or npos to decline the head. `at` is a local, not a reference: kept in a
// register through the byte loops (as a reference it cost +2.7% instructions in this path).
std::size_t HttpRequestParser::fast_header_lines_end(std::string_view input, std::size_t at,
                                                     std::uint64_t& content_length) {
  constexpr std::size_t decline = std::string_view::npos;
  const char* data = input.data();
  const std::size_t size = input.size();
  for (;;) {
    if (size - at < 2) return decline;
    if (data[at] == '\r') return data[at + 1] == '\n' ? at : decline;
    const std::size_t name_start = at;
    while (at < size && is_token_byte(data[at])) ++at;
    if (at == name_start || at >= size || data[at] != ':') return decline;
    const std::string_view name = input.substr(name_start, at - name_start);
    ++at;
    while (at < size && (data[at] == ' ' || data[at] == '\t')) ++at;
    const std::size_t value_start = at;
    while (at < size && is_plain_value_char(data[at])) ++at;
    if (size - at < 2 || data[at] != '\r' || data[at + 1] != '\n') return decline;
    const std::string_view value = input.substr(value_start, at - value_start);
    at += 2;
    if (++header_count_ > limits_.header_count_max) return decline;
    // A Content-Length value is taken as it stands (digits only); other values lose trailing whitespace in
    // finish_header_field, as on the slow path.
    if (!read_fast_header(name, value, content_length)) return decline;
  }
}

bool HttpRequestParser::try_fast_head(const char* data, std::size_t size, Step& step) {
  const std::string_view input(data, size);
  FastRequestLine line;
  if (!read_fast_request_line(input, limits_.request_line_bytes_max, line)) return false;
  std::uint64_t content_length = npos_length;
  const std::size_t at = fast_header_lines_end(input, line.end, content_length);
  // The section, from the first field through the blank line's LF, within its limit: the slow path counts the
  // final LF too when no body follows (and declining one byte early otherwise is safe).
  if (at != std::string_view::npos && host_count_ == 1 && at + 2 - line.end <= limits_.header_bytes_max) {
    const KnownMethod& known = *line.known;
    request_.target.assign(data + line.target_start, line.target_bytes);
    body_limit_ = limits_.body_bytes_max(known.method, request_.path());
    const std::uint64_t body_bytes = content_length == npos_length ? 0 : content_length;
    if (body_bytes <= body_limit_) {
      // As the slow path leaves a head it accepts (check_head, headers_complete).
      HttpRequest& r = request_;
      r.method = known.method;
      r.method_name = known.name;
      r.version_minor = 1;
      r.keep_alive = true;
      r.expect_continue = false;
      continue_expected_ = false;
      chunked_ = false;
      phase_ = body_bytes > 0 ? Phase::body : Phase::head;
      head_bytes_ = at + 1;  // through the blank line's CR; its LF is consumed with the body
      fast_message_ = true;
      fast_left_ = 1 + static_cast<std::size_t>(body_bytes);
      ++fast_heads_;
      step = {Event::head, at + 1};
      return true;
    }
  }
  begin_message();  // a decline: undo what the header lines filled in
  return false;
}

HttpRequestParser::Step HttpRequestParser::feed_fast_body(const char* data, std::size_t size) {
  TALLY_ASSERT(fast_left_ > 0, "a fast message is read up to its end");
  const std::size_t used = std::min(size, fast_left_);
  std::size_t body_from = 0;
  if (body_wire_bytes_ == 0) {
    // The head's final LF, seen by try_fast_head: the caller feeds it again, as it does on the slow path.
    if (data[0] != '\n') return fail({400, "malformed_request", crlf_message}, 0);
    body_from = 1;
  }
  body_wire_bytes_ += used;
  request_.body.append(data + body_from, used - body_from);
  fast_left_ -= used;
  if (fast_left_ > 0) return {Event::need_more, used};
  phase_ = Phase::idle;
  request_delivered_ = true;
  return {Event::request, used};
}

}  // namespace tally::rest
