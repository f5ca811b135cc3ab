// RequestLineCheck: the request line by RFC 9112 3's grammar, checked here because http_parser is lenient there.
#include "rest/http_request_line.hpp"

#include <string_view>

#include "rest/http_request.hpp"

namespace tally::rest::detail {

namespace {

bool is_visible_ascii(char c) { return c > 0x20 && c < 0x7f; }

}  // namespace

std::size_t RequestLineCheck::scan(const char* data, std::size_t size, std::size_t line_bytes_max) {
  std::size_t i = 0;
  for (; i < size && verdict_ == Verdict::pending; ++i) {
    if (state_ == State::target) {
      // The target is most of the line: its run of visible ASCII in one tight loop, the same verdicts as step()
      // (a space, a line end or any other byte ends the run and goes through step() below).
      std::size_t end = i;
      while (end < size && is_visible_ascii(data[end])) ++end;
      const std::size_t room = line_bytes_max - line_bytes_;  // line_bytes_ <= line_bytes_max while pending
      if (end - i > room) {
        line_bytes_ = line_bytes_max + 1;
        verdict_ = Verdict::too_long;
        return i + room;  // the first byte beyond the limit
      }
      line_bytes_ += end - i;
      i = end;
      if (i == size) break;
    }
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

bool RequestLineCheck::step(char c) {
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

}  // namespace tally::rest::detail
