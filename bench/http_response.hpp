// tally-loadgen: an incremental HTTP/1.1 response-head parser for keep-alive connections.
// Bodies must be framed by Content-Length; chunked transfer coding is reported as an error, not guessed at.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace loadgen {

struct ResponseHead {
  int status = 0;
  std::size_t head_len = 0;  // bytes up to and including the blank line
  std::size_t body_len = 0;
  bool close = false;        // server said Connection: close (or HTTP/1.0 without keep-alive)
};

enum class ParseResult { need_more, done, error };

namespace detail {
inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}
inline bool icontains(std::string_view hay, std::string_view needle) {
  if (needle.size() > hay.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i)
    if (iequals(hay.substr(i, needle.size()), needle)) return true;
  return false;
}
inline std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}
}  // namespace detail

namespace detail {
// The status code of an "HTTP/1.x NNN reason" line into `code`; false with `err` set if the line is malformed.
inline bool parse_status_line(std::string_view status_line, int& code, std::string& err) {
  if (status_line.size() < 12 || status_line.substr(0, 5) != "HTTP/") {
    err = "malformed status line: " + std::string(status_line.substr(0, 80));
    return false;
  }
  std::size_t sp = status_line.find(' ');
  if (sp == std::string_view::npos || sp + 4 > status_line.size()) {
    err = "malformed status line: " + std::string(status_line.substr(0, 80));
    return false;
  }
  code = 0;
  for (int i = 1; i <= 3; ++i) {
    char c = status_line[sp + i];
    if (c < '0' || c > '9') {
      err = "malformed status code: " + std::string(status_line.substr(0, 80));
      return false;
    }
    code = code * 10 + (c - '0');
  }
  return true;
}

// One header line into `head` (Content-Length, chunked refused, Connection); false with `err` set if unusable.
inline bool read_header_line(std::string_view line, ResponseHead& head, bool& have_length, bool& keep_alive,
                             std::string& err) {
  std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return true;
  std::string_view name = trim(line.substr(0, colon));
  std::string_view value = trim(line.substr(colon + 1));
  if (iequals(name, "content-length")) {
    std::string v(value);
    char* stop = nullptr;
    unsigned long long n = std::strtoull(v.c_str(), &stop, 10);
    if (v.empty() || *stop != '\0') {
      err = "bad Content-Length: " + v;
      return false;
    }
    head.body_len = static_cast<std::size_t>(n);
    have_length = true;
  } else if (iequals(name, "transfer-encoding")) {
    if (icontains(value, "chunked")) {
      err = "server sent Transfer-Encoding: chunked, which tally-loadgen does not support";
      return false;
    }
  } else if (iequals(name, "connection")) {
    if (icontains(value, "close")) head.close = true;
    if (icontains(value, "keep-alive")) keep_alive = true;
  }
  return true;
}
}  // namespace detail

// Parses the status line and headers at the start of `data`. On `done`, `head` tells where the body starts and
// how long it is; the caller waits until head_len + body_len bytes are buffered. On `error`, `err` says why.
inline ParseResult parse_response_head(std::string_view data, ResponseHead& head, std::string& err) {
  std::size_t end = data.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (data.size() > 64 * 1024) {
      err = "response head larger than 64 KiB";
      return ParseResult::error;
    }
    return ParseResult::need_more;
  }
  head = ResponseHead{};
  head.head_len = end + 4;
  std::string_view lines = data.substr(0, end);
  std::size_t eol = lines.find("\r\n");
  std::string_view status_line = lines.substr(0, eol);
  int code = 0;
  if (!detail::parse_status_line(status_line, code, err)) return ParseResult::error;
  bool http10 = status_line.substr(5, 3) == "1.0";
  head.status = code;
  bool have_length = false, keep_alive = false;
  std::size_t pos = (eol == std::string_view::npos) ? lines.size() : eol + 2;
  while (pos < lines.size()) {
    std::size_t next = lines.find("\r\n", pos);
    if (next == std::string_view::npos) next = lines.size();
    std::string_view line = lines.substr(pos, next - pos);
    pos = next + 2;
    if (!detail::read_header_line(line, head, have_length, keep_alive, err)) return ParseResult::error;
  }
  if (http10 && !keep_alive) head.close = true;
  if (!have_length) {
    bool bodiless = (code >= 100 && code < 200) || code == 204 || code == 304;
    if (!bodiless) {
      err = "response " + std::to_string(code) + " has no Content-Length (body framed by close is not supported)";
      return ParseResult::error;
    }
  }
  return ParseResult::done;
}

}  // namespace loadgen
